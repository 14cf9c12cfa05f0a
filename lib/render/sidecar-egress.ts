// Which Sidecars the dependency records call for: one per ServiceComb consumer that runs in
// the mesh (its app mapped to a namespace), selecting its pods by a label whose value is
// its serviceName, its egress the ServiceEntry hosts of every provider service-center
// recorded for any of its versions. Pure: the records come in, the Sidecars' inputs go out.
//
// Union over versions: pods of every version carry the same selector label, so a Sidecar
// per version could not tell them apart, and a version that has not yet called a provider
// must not lose it while an older one still does.
import { hostFor, serviceKeyOf, type ServiceKeyParts } from '../names/service-names.ts';
import { ALWAYS_EXCLUDED_SERVICES, type RenderOptions } from './options.ts';

/** One consumer's recorded providers (any version of either side). */
export interface DependencyRecord {
  consumer: ServiceKeyParts;
  providers: readonly ServiceKeyParts[];
}

export interface SidecarEgressSettings {
  /** `app` or `environment/app` (wins) → the namespace where that app's consumers run */
  namespaceByApp: Readonly<Record<string, string>>;
  selectorLabel: string;
  alwaysHosts: readonly string[];
}

/** What the Sidecar render needs for one consumer. */
export interface SidecarEgress {
  consumer: ServiceKeyParts;
  namespace: string;
  selector: Record<string, string>;
  /** provider hosts as `namespace/host`, then the always-hosts; sorted, no repeats */
  hosts: string[];
  /** the providers behind `hosts`, by service key (for reports and the content of status) */
  providers: string[];
}

export interface SidecarEgressPlan {
  sidecars: SidecarEgress[];
  /** consumers given no Sidecar, and why (a consumer of an unmapped app is only counted) */
  skipped: { consumer: string; reason: string }[];
  /** consumers whose app has no namespace in sidecars.namespaceByApp */
  unmapped: number;
}

/** A label value as Kubernetes takes it: at most 63, alphanumeric at both ends. */
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

function namespaceOf(consumer: ServiceKeyParts, settings: SidecarEgressSettings): string | undefined {
  if (consumer.environment !== '') {
    const scoped = settings.namespaceByApp[`${consumer.environment}/${consumer.appId}`];
    if (scoped !== undefined) return scoped;
  }
  return settings.namespaceByApp[consumer.appId];
}

function neverPublished(parts: ServiceKeyParts, render: Pick<RenderOptions, 'excludeServices'>): boolean {
  const upper = parts.serviceName.toUpperCase();
  return (ALWAYS_EXCLUDED_SERVICES as readonly string[]).includes(upper) || render.excludeServices.includes(parts.serviceName);
}

interface Group {
  consumer: ServiceKeyParts;
  providers: Map<string, ServiceKeyParts>;
}

export function planSidecarEgress(records: readonly DependencyRecord[], render: Pick<RenderOptions, 'namespace' | 'hostTemplate' | 'excludeServices'>, settings: SidecarEgressSettings): SidecarEgressPlan {
  const groups = new Map<string, Group>();
  for (const record of records) {
    // sc2mesh's own consumers (the watcher's) depend on everything they watch: never a Sidecar.
    if (neverPublished(record.consumer, render)) continue;
    const key = serviceKeyOf(record.consumer);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { consumer: record.consumer, providers: new Map() }));
    for (const provider of record.providers) {
      const providerKey = serviceKeyOf(provider);
      if (providerKey === key || neverPublished(provider, render)) continue;
      group.providers.set(providerKey, provider);
    }
  }

  const plan: SidecarEgressPlan = { sidecars: [], skipped: [], unmapped: 0 };
  /** namespace + selector value → the consumers that would select the same pods */
  const claims = new Map<string, SidecarEgress[]>();
  for (const [key, group] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const namespace = namespaceOf(group.consumer, settings);
    if (namespace === undefined) {
      plan.unmapped++;
      continue;
    }
    const value = group.consumer.serviceName;
    if (!LABEL_VALUE.test(value)) {
      plan.skipped.push({ consumer: key, reason: `serviceName ${JSON.stringify(value)} is not a valid value of label ${settings.selectorLabel} (at most 63 letters, digits, "-", "_" or ".", alphanumeric at both ends), so no pod can be selected by it` });
      continue;
    }
    const providers = [...group.providers.keys()].sort();
    const hosts = new Set<string>();
    for (const providerKey of providers) hosts.add(`${render.namespace}/${hostFor(render.hostTemplate, group.providers.get(providerKey) as ServiceKeyParts)}`);
    for (const host of settings.alwaysHosts) hosts.add(host);
    const egress: SidecarEgress = { consumer: group.consumer, namespace, selector: { [settings.selectorLabel]: value }, hosts: [...hosts].sort(), providers };
    const claim = `${namespace}\u0000${value}`;
    const list = claims.get(claim);
    if (list === undefined) claims.set(claim, [egress]);
    else list.push(egress);
  }
  for (const list of claims.values()) {
    if (list.length === 1) {
      plan.sidecars.push(list[0] as SidecarEgress);
      continue;
    }
    // Two Sidecars selecting one workload is undefined behaviour in Istio; neither is right.
    const keys = list.map((e) => serviceKeyOf(e.consumer));
    for (const e of list) {
      plan.skipped.push({
        consumer: serviceKeyOf(e.consumer),
        reason: `consumers ${keys.join(', ')} would all select pods labelled ${settings.selectorLabel}=${e.selector[settings.selectorLabel]} in namespace ${e.namespace}; map their apps to different namespaces`,
      });
    }
  }
  plan.sidecars.sort((a, b) => (a.namespace + serviceKeyOf(a.consumer) < b.namespace + serviceKeyOf(b.consumer) ? -1 : 1));
  return plan;
}
