// Governance's objects carry the marks every sc2mesh object carries (ownership labels,
// the service key, the content hash; lib/render/build-objects.ts) plus the rules that
// shaped them. Names are the service's own object name: one VirtualService and at most
// one EnvoyFilter per provider, and the traffic policy goes into the one DestinationRule
// sc2mesh already writes for the host, because Istio merges two DestinationRules of one
// host poorly (only subsets merge; one rule's top-level trafficPolicy is dropped).
import { ISTIO_API_VERSION, type DestinationRule, type ObjectMeta } from '../model/istio.ts';
import { CONTENT_HASH_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE, SERVICE_KEY_ANNOTATION, SERVICE_LABEL, SHARD_LABEL, SOURCE_LABEL } from '../model/ownership.ts';
import { serviceKeyHash, shardOf } from '../names/service-names.ts';
import { contentHashFromJson, contentHashOf } from '../render/content-hash.ts';
import { routingExportTo } from '../render/export-to.ts';
import type { RenderOptions } from '../render/options.ts';
import {
  ENVOY_FILTER_API_VERSION,
  type EnvoyFilter,
  type EnvoyFilterSpec,
  type GovernedDestinationRule,
  type TrafficPolicy,
  type VirtualService,
  type VirtualServiceSpec,
} from './istio-types.ts';
import type { GovernedService } from './scope.ts';

/** `kind/name` of every rule that shaped the object, comma-separated and sorted. */
export const GOVERNANCE_RULES_ANNOTATION = 'sc2mesh.io/governance-rules';

export type ObjectOptions = Pick<RenderOptions, 'namespace' | 'source' | 'extraLabels'>;

/** exportTo of the service's VirtualService and DestinationRule, as the render derives it from the ServiceEntry's. */
export function routingExportOf(service: GovernedService): string[] | undefined {
  const list = routingExportTo(service.exportTo);
  return list === undefined ? undefined : [...list];
}

/** The labels buildObjects gives every object of the service, in its key order. */
export function ownerLabels(service: GovernedService, options: ObjectOptions): Record<string, string> {
  const parts = { environment: service.environment, appId: service.appId, serviceName: service.serviceName };
  const labels: Record<string, string> = {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [SOURCE_LABEL]: options.source,
    [SERVICE_LABEL]: service.name,
    [SHARD_LABEL]: String(shardOf(parts, serviceKeyHash(service.key))),
  };
  for (const key of Object.keys(options.extraLabels).sort()) labels[key] = options.extraLabels[key] as string;
  return labels;
}

function metadata(service: GovernedService, options: ObjectOptions, namespace: string, rules: readonly string[]): ObjectMeta {
  return {
    name: service.name,
    namespace,
    labels: ownerLabels(service, options),
    annotations: { [SERVICE_KEY_ANNOTATION]: service.key, [GOVERNANCE_RULES_ANNOTATION]: rules.join(',') },
  };
}

/** Adds the content-hash annotation, computed as for every other object (contentHashOf). */
function stamp<T extends { kind: string; metadata: ObjectMeta; spec: unknown }>(object: T): T {
  const { metadata: meta } = object;
  meta.annotations[CONTENT_HASH_ANNOTATION] = contentHashFromJson(object.kind, meta.name, JSON.stringify(meta.labels), JSON.stringify(meta.annotations), JSON.stringify(object.spec));
  return object;
}

export function buildVirtualService(service: GovernedService, options: ObjectOptions, spec: VirtualServiceSpec, rules: readonly string[]): VirtualService {
  return stamp({ apiVersion: ISTIO_API_VERSION, kind: 'VirtualService', metadata: metadata(service, options, options.namespace, rules), spec });
}

/** In `namespace`: where its workloads' proxies pick it up (the mesh root namespace reaches every caller). */
export function buildEnvoyFilter(service: GovernedService, options: ObjectOptions, namespace: string, spec: EnvoyFilterSpec, rules: readonly string[]): EnvoyFilter {
  return stamp({ apiVersion: ENVOY_FILTER_API_VERSION, kind: 'EnvoyFilter', metadata: metadata(service, options, namespace, rules), spec });
}

/**
 * The service's DestinationRule with governance's traffic policy: the rendered one (its
 * subsets kept) when render wrote one, else one of its own with the same name; the
 * rendered rule unchanged when there is no policy. The hash is computed afresh.
 */
export function withTrafficPolicy(
  rendered: DestinationRule | undefined,
  service: GovernedService,
  options: ObjectOptions,
  policy: TrafficPolicy | undefined,
  rules: readonly string[],
): GovernedDestinationRule | undefined {
  if (policy === undefined) return rendered;
  const exportTo = routingExportOf(service);
  const base: GovernedDestinationRule =
    rendered ?? {
      apiVersion: ISTIO_API_VERSION,
      kind: 'DestinationRule',
      metadata: { name: service.name, namespace: options.namespace, labels: ownerLabels(service, options), annotations: { [SERVICE_KEY_ANNOTATION]: service.key } },
      spec: exportTo === undefined ? { host: service.host, subsets: [] } : { host: service.host, subsets: [], exportTo },
    };
  const { [CONTENT_HASH_ANNOTATION]: _stale, ...annotations } = base.metadata.annotations;
  const merged: GovernedDestinationRule = {
    ...base,
    metadata: { ...base.metadata, annotations: { ...annotations, [GOVERNANCE_RULES_ANNOTATION]: rules.join(',') } },
    spec: { ...base.spec, trafficPolicy: policy },
  };
  merged.metadata.annotations[CONTENT_HASH_ANNOTATION] = contentHashOf(merged);
  return merged;
}
