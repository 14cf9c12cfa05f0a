// One consumer's Sidecar: the egress hosts its workloads' proxies import, so they stop
// receiving every ServiceEntry of the mesh (../shared/reference/istio/scoping.md §3). The
// hosts come from ServiceComb's consumer→provider records (the caller turns them into
// `<namespace>/<host>` strings) plus configured always-hosts such as `istio-system/*`.
// Pure: no I/O, no clock; bad input is reported, never thrown.
//
// Never selector-less: a Sidecar without a selector is its namespace's default and
// belongs to the namespace's owner, not to sc2mesh. Sidecars are per consumer, so they
// carry CONSUMER_LABEL instead of SERVICE_LABEL (see PER_CONSUMER_KINDS in lib/kube/writer.ts).
import { apiVersionOf, type Sidecar } from '../model/istio.ts';
import { CONSUMER_KEY_ANNOTATION, CONSUMER_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, SHARD_LABEL, SOURCE_LABEL } from '../model/ownership.ts';
import { isDnsLabel, isLabelValue, toLabelValue } from '../names/sanitize.ts';
import { objectNameFor, serviceKeyHash, serviceKeyOf, shardOf, type ServiceKeyParts } from '../names/service-names.ts';
import { stampContentHash } from './content-hash.ts';
import type { RenderOptions } from './options.ts';

export interface SidecarInput {
  consumer: ServiceKeyParts;
  /** the consumer's workloads' namespace: where the Sidecar goes */
  namespace: string;
  /** labels that select the consumer's workloads, e.g. `{ app: serviceName }` (the caller decides) */
  workloadLabels: Readonly<Record<string, string>>;
  /** `<namespace>/<host>` of each provider the consumer calls */
  providerHosts: readonly string[];
  /** configured hosts every Sidecar imports, e.g. `istio-system/*`, `./*` */
  alwaysHosts: readonly string[];
}

/** The deployment's settings the Sidecar shares with every other object (ownership, extra labels, names). */
export type SidecarOptions = Pick<RenderOptions, 'source' | 'extraLabels' | 'nameTemplate'>;

export interface SkippedHost {
  /** `providerHosts[i]` or `alwaysHosts[i]` */
  field: string;
  host: string;
  reason: string;
}

export type SidecarResult = { ok: true; sidecar: Sidecar; skippedHosts: SkippedHost[] } | { ok: false; reason: string; skippedHosts: SkippedHost[] };

/** Istio's limit on workloadSelector.labels (maxProperties). */
const SELECTOR_LABELS_MAX = 256;
const DNS_SUBDOMAIN_MAX = 253;
const LABEL_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Istio's host labels (ValidateWildcardDomain): letters of either case, digits, '-'.
const HOST_LABEL_RE = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;

/** A Kubernetes label key: optional DNS-subdomain prefix and '/', then a name of ≤ 63. */
function labelKeyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'has more than one "/"';
  const name = parts.at(-1) ?? '';
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix.length === 0 || prefix.length > DNS_SUBDOMAIN_MAX || !DNS_SUBDOMAIN_RE.test(prefix)) return 'has a prefix that is not a DNS subdomain';
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME_RE.test(name)) return "has a name part that is not 1-63 alphanumerics, '-', '_' or '.' (alphanumeric at both ends)";
  return undefined;
}

function selectorProblem(labels: Readonly<Record<string, string>>): string | undefined {
  const entries = Object.entries(labels);
  if (entries.length === 0) return 'workloadLabels is empty: a Sidecar without a selector would be the namespace default, which sc2mesh never writes';
  if (entries.length > SELECTOR_LABELS_MAX) return `workloadLabels has ${entries.length} labels; Istio allows at most ${SELECTOR_LABELS_MAX}`;
  for (const [key, value] of entries) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) return `workloadLabels key ${JSON.stringify(key)} ${keyProblem}`;
    // isLabelValue also rules out '*', which Istio's CEL rule forbids in selectors.
    if (typeof value !== 'string' || !isLabelValue(value)) return `workloadLabels.${key} ${JSON.stringify(value)} is not a label value (at most 63 alphanumerics, '-', '_' or '.', alphanumeric at both ends)`;
  }
  return undefined;
}

/** Why `entry` is not a `namespace/dnsName` egress host, or undefined when it is one. */
export function egressHostProblem(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  if (slash < 0) return 'is not of the form namespace/host';
  const namespace = entry.slice(0, slash);
  const host = entry.slice(slash + 1);
  if (namespace !== '*' && namespace !== '.' && namespace !== '~' && !isDnsLabel(namespace)) return `has namespace ${JSON.stringify(namespace)}: not "*", ".", "~" or a namespace name`;
  if (host === '*') return undefined;
  if (host.length === 0 || host.length > 255) return 'has a host that is empty or longer than 255';
  const labels = host.split('.');
  // A wildcard only as the whole left-most label (`*.example.com`).
  const rest = labels[0] === '*' ? labels.slice(1) : labels;
  if (rest.length === 0 || !rest.every((l) => l.length <= 63 && HOST_LABEL_RE.test(l))) return `has host ${JSON.stringify(host)}: not a DNS name (a wildcard only as the whole first label)`;
  return undefined;
}

/** The Sidecar's name: the consumer's object name (as its ServiceEntry would be named), ≤ 63, with the key's hash. */
export function sidecarNameFor(consumer: ServiceKeyParts, options: Pick<SidecarOptions, 'nameTemplate'>): string {
  return objectNameFor(options.nameTemplate, consumer);
}

export function renderSidecar(input: SidecarInput, options: SidecarOptions): SidecarResult {
  const skippedHosts: SkippedHost[] = [];
  const hosts = new Set<string>();
  const take = (field: string, list: readonly string[]) =>
    list.forEach((host, i) => {
      const problem = typeof host === 'string' ? egressHostProblem(host) : 'is not a string';
      if (problem === undefined) hosts.add(host);
      else skippedHosts.push({ field: `${field}[${i}]`, host: String(host), reason: `${field}[${i}] ${JSON.stringify(host)} ${problem}` });
    });
  take('providerHosts', input.providerHosts);
  take('alwaysHosts', input.alwaysHosts);

  const key = serviceKeyOf(input.consumer);
  const fail = (reason: string): SidecarResult => ({ ok: false, reason: `Sidecar for ${key}: ${reason}`, skippedHosts });
  if (!isDnsLabel(input.namespace)) return fail(`namespace ${JSON.stringify(input.namespace)} is not a namespace name (a DNS-1123 label)`);
  const selector = selectorProblem(input.workloadLabels);
  if (selector !== undefined) return fail(selector);
  if (hosts.size === 0) return fail('no valid egress host (providerHosts and alwaysHosts are empty or all invalid)');

  const name = sidecarNameFor(input.consumer, options);
  const labels: Record<string, string> = {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [SOURCE_LABEL]: options.source,
    [CONSUMER_LABEL]: toLabelValue(name),
    // The consumer's audit shard, so a Sidecar audit can read slices like every other kind.
    [SHARD_LABEL]: String(shardOf(input.consumer, serviceKeyHash(key))),
  };
  for (const k of Object.keys(options.extraLabels).sort()) labels[k] = options.extraLabels[k] as string;
  const workloadLabels: Record<string, string> = {};
  for (const k of Object.keys(input.workloadLabels).sort()) workloadLabels[k] = input.workloadLabels[k] as string;
  const sidecar: Sidecar = {
    apiVersion: apiVersionOf('Sidecar'),
    kind: 'Sidecar',
    metadata: { name, namespace: input.namespace, labels, annotations: { [CONSUMER_KEY_ANNOTATION]: key } },
    // Sorted (code-unit order, as everywhere in sc2mesh) so the hash depends on the set alone.
    spec: { workloadSelector: { labels: workloadLabels }, egress: [{ hosts: [...hosts].sort() }] },
  };
  stampContentHash(sidecar);
  return { ok: true, sidecar, skippedHosts };
}
