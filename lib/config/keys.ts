// Every configuration key once: its path, how a string from the environment or a flag
// becomes its value, its flag and its help text. Environment variable names are derived
// from the path, never written by hand, so they cannot drift.
import type { ConfigSection } from './schema.ts';

/** How a string (environment, flag) becomes the key's value. `path` is a string resolved to an absolute path. */
export type ValueKind = 'string' | 'path' | 'number' | 'boolean' | 'list' | 'map' | 'listMap';

export interface ConfigKey {
  /** e.g. `kube.eks.clusterName` */
  readonly path: string;
  readonly section: ConfigSection;
  readonly kind: ValueKind;
  /** e.g. `SC2MESH_KUBE_EKS_CLUSTER_NAME` */
  readonly env: string;
  /** e.g. `--kube-qps`; undefined for keys that must not appear on a command line (secrets) */
  readonly flag: string | undefined;
  /** the flag's argument as shown in help, e.g. `<n>`; undefined for boolean flags */
  readonly flagArg: string | undefined;
  /** the flag may be given more than once (lists, maps) */
  readonly repeatable: boolean;
  /** never shown: errors and describeConfig print [redacted] */
  readonly secret: boolean;
  /** case folding applied to strings from the environment and flags */
  readonly fold: 'upper' | 'lower' | undefined;
  readonly help: string;
  /** how the default is described when it is not a plain value */
  readonly defaultText: string | undefined;
}

export const ENV_PREFIX = 'SC2MESH_';
/** Names the config file; not a key itself. */
export const CONFIG_FILE_ENV = 'SC2MESH_CONFIG';
export const CONFIG_FILE_FLAG = '--config';
/** SC2MESH_* variables that belong to other parts of sc2mesh, not to this schema. */
export const NON_CONFIG_ENV = new Set([CONFIG_FILE_ENV, 'SC2MESH_SHARED_DIR']);

/** `kube.eks.clusterName` → `SC2MESH_KUBE_EKS_CLUSTER_NAME` */
export function envNameOf(path: string): string {
  return ENV_PREFIX + path.split('.').map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

interface KeyOptions {
  flag?: string | null;
  repeatable?: boolean;
  secret?: boolean;
  fold?: 'upper' | 'lower';
  defaultText?: string;
}

function key(path: string, kind: ValueKind, help: string, options: KeyOptions = {}): ConfigKey {
  const section = path.split('.')[0] as ConfigSection;
  const flagSpec = options.flag === null ? undefined : (options.flag ?? `--${path.replace(/\./g, '-').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`);
  const [flag, flagArg] = flagSpec === undefined ? [undefined, undefined] : splitFlag(flagSpec, kind);
  return {
    path,
    section,
    kind,
    env: envNameOf(path),
    flag,
    flagArg,
    repeatable: options.repeatable ?? false,
    secret: options.secret ?? false,
    fold: options.fold,
    help,
    defaultText: options.defaultText,
  };
}

function splitFlag(spec: string, kind: ValueKind): [string, string | undefined] {
  const [flag, arg] = spec.split(' ') as [string, string | undefined];
  if (kind === 'boolean') return [flag, undefined];
  return [flag, arg ?? (kind === 'number' ? '<n>' : kind === 'path' ? '<path>' : kind === 'list' ? '<list>' : '<value>')];
}

/** In schema order; the README's configuration reference is generated from this. */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  key('registry.addresses', 'list', 'service-center addresses, http(s) URLs; comma-separated in the environment', { flag: '--registry <url>', repeatable: true }),
  key('registry.domain', 'string', 'domain (header X-Domain-Name)'),
  key('registry.project', 'string', 'project (path /v4/{project}/...)'),
  key('registry.username', 'string', 'user for token auth (POST /v4/token); empty = no auth'),
  key('registry.password', 'string', 'password for token auth; prefer passwordFile', { flag: null, secret: true }),
  key('registry.passwordFile', 'path', 'file holding the password (a trailing newline is dropped)'),
  key('registry.caFile', 'path', 'PEM bundle trusted for https registries (TLS verification is always on)'),
  key('registry.insecureSkipVerify', 'boolean', 'skip TLS certificate verification (testing only)'),
  key('registry.timeoutMs', 'number', 'timeout of one registry request in ms'),
  key('registry.listIntervalMs', 'number', "period of the watch client's service listing in ms"),
  key('registry.breakerFailures', 'number', 'failed calls in a row after which an address is skipped (its circuit breaker opens)'),
  key('registry.breakerCoolDownMs', 'number', 'how long an open breaker skips its address (ms); a lone address is probed every 500 ms meanwhile'),
  key('registry.watcherServiceName', 'string', "service name the watcher registers as consumer; never published"),
  key('render.namespace', 'string', 'namespace of the emitted objects', { flag: '--namespace <ns>' }),
  key('render.source', 'string', 'names this registry on every object (label sc2mesh.io/source); deployments prune only their own source', { flag: '--source <name>' }),
  key('render.mode', 'string', 'workloadentry (one WorkloadEntry per instance) or inline (endpoints inside the ServiceEntry)', { flag: '--mode <mode>' }),
  key('render.hostTemplate', 'string', 'ServiceEntry host; placeholders {service} {app} {env}', { flag: '--host-template <t>' }),
  key('render.nameTemplate', 'string', 'readable part of object names (a hash of the service key is appended)', { flag: '--name-template <t>' }),
  key('render.publishStatuses', 'list', 'instance statuses to publish', { flag: '--publish-statuses <list>', fold: 'upper' }),
  key('render.exportTo', 'list', 'exportTo of ServiceEntries and DestinationRules (".", "*", "~", namespaces) for apps not in render.exportToByApp', { flag: '--export-to <list>', defaultText: '(unset: visible everywhere)' }),
  key(
    'render.exportToByApp',
    'listMap',
    'exportTo per ServiceComb app: key "app" (every environment) or "environment/app" (wins), value a list of namespaces; flag app=ns1,ns2; environment app=ns1,ns2;app2=ns3',
    { flag: '--export-to-app <app=namespaces>', repeatable: true },
  ),
  key('render.extraLabels', 'map', 'extra labels on every object, key=value (comma-separated in the environment)', { flag: '--label <key=value>', repeatable: true }),
  key('render.destinationRules', 'boolean', 'also emit a DestinationRule with one subset per version', { flag: '--destination-rules' }),
  key('render.subsets', 'string', 'with destinationRules: multi-version (a rule only for services with more than one version with instances) or always', { flag: '--subsets <mode>' }),
  key('render.location', 'string', 'ServiceEntry location: MESH_INTERNAL or MESH_EXTERNAL', { flag: '--location <loc>' }),
  key('render.excludeServices', 'list', 'service names never published (SERVICECENTER and registry.watcherServiceName are always excluded too)', { flag: '--exclude <serviceName>', repeatable: true }),
  key('kube.mode', 'string', 'how to reach the cluster: kubeconfig, in-cluster, eks or none (no cluster)', { flag: '--kube-mode <mode>' }),
  key('kube.kubeconfig', 'path', 'kubeconfig file (kube.mode kubeconfig)', { flag: '--kubeconfig <path>', defaultText: '$KUBECONFIG, else ~/.kube/config' }),
  key('kube.context', 'string', 'kubeconfig context; empty = current context', { flag: '--kube-context <name>' }),
  key('kube.eks.clusterName', 'string', 'EKS cluster name (kube.mode eks)', { flag: '--eks-cluster-name <name>' }),
  key('kube.eks.region', 'string', 'AWS region of the EKS cluster', { flag: '--eks-region <region>', defaultText: '$AWS_REGION, else $AWS_DEFAULT_REGION' }),
  key('kube.eks.endpoint', 'string', 'API server URL; empty = eks:DescribeCluster', { flag: '--eks-endpoint <url>' }),
  key('kube.eks.caData', 'string', 'base64 CA bundle of the API server; empty = eks:DescribeCluster', { flag: '--eks-ca-data <base64>' }),
  key('kube.qps', 'number', 'client-side rate limit on API calls per second; 0 = off'),
  key('kube.burst', 'number', 'burst of the client-side rate limit'),
  key('kube.timeoutMs', 'number', 'timeout of one API call in ms'),
  key('kube.concurrency', 'number', 'services pushed at once (their requests stay under kube.qps/burst)'),
  key('out', 'path', 'write manifests to this folder instead of a cluster (implies kube.mode none)', { flag: '--out <dir>' }),
  key('guard.maxDeleteShare', 'number', 'refuse a run that would delete more than this share (0..1) of the owned objects', { flag: '--max-delete-share <share>' }),
  key('guard.minDeletesToCheck', 'number', 'below this many deletions the share is not checked', { flag: '--min-deletes-to-check <n>' }),
  key('guard.force', 'boolean', 'delete even beyond guard.maxDeleteShare', { flag: '--force' }),
  key('debounce.quietMs', 'number', 'push once no event has come for this long (ms)', { flag: '--quiet-ms <n>' }),
  key('debounce.maxDelayMs', 'number', 'push at the latest this long after the first event of a cycle (ms)', { flag: '--max-delay-ms <n>' }),
  key('debounce.maxEvents', 'number', 'push at once when a cycle holds this many events', { flag: '--max-events <n>' }),
  key('state.table', 'string', 'DynamoDB table; empty = embedded dynalite in state.dir', { flag: '--table <name>' }),
  key('state.dir', 'path', 'folder of the embedded state store', { flag: '--state-dir <dir>' }),
  key('state.region', 'string', 'AWS region of the table', { flag: '--state-region <region>', defaultText: '$AWS_REGION, else $AWS_DEFAULT_REGION' }),
  key('state.endpoint', 'string', 'DynamoDB endpoint override (tests, dynalite)', { flag: '--state-endpoint <url>' }),
  key('queue.url', 'string', 'SQS queue URL (serverless); empty = in-process queue', { flag: '--queue-url <url>' }),
  key('queue.name', 'string', 'SQS queue name; with no url, the URL is built from the region and the Lambda function\'s account', { flag: '--queue-name <name>' }),
  key('queue.region', 'string', 'AWS region of the queue', { flag: '--queue-region <region>', defaultText: '$AWS_REGION, else $AWS_DEFAULT_REGION' }),
  key('queue.endpoint', 'string', 'SQS endpoint override', { flag: '--queue-endpoint <url>' }),
  key('sync.intervalMs', 'number', 'period of the full registry sync in ms', { flag: '--sync-interval-ms <n>' }),
  key('audit.periodMinutes', 'number', 'every object is drift-checked at least this often (minutes)', { flag: '--audit-period-minutes <n>' }),
  key('governance.enabled', 'boolean', "also write ServiceComb's governance rules as VirtualServices and DestinationRule traffic policies (README \"Governance\")"),
  key('governance.rateLimiting', 'boolean', 'with governance.enabled: map rate-limiting rules to a local rate-limit EnvoyFilter per service, written to governance.rateLimitNamespace'),
  key('governance.rateLimitNamespace', 'string', 'namespace of the rate-limit EnvoyFilters: the mesh root namespace (istio-system) makes them act in every proxy', { flag: '--governance-rate-limit-namespace <ns>' }),
  key('sidecars.enabled', 'boolean', "write a Sidecar per ServiceComb consumer running in the mesh, its egress the providers service-center recorded for it (README \"Mesh footprint\")"),
  key('sidecars.namespaceByApp', 'map', 'namespace where the consumers of a ServiceComb app run in the mesh: key "app" or "environment/app" (wins); consumers of other apps get no Sidecar', { flag: '--sidecar-namespace <app=namespace>', repeatable: true }),
  key('sidecars.selectorLabel', 'string', "pod label whose value is the consumer's serviceName (the Sidecar's workloadSelector)", { flag: '--sidecar-selector-label <key>' }),
  key('sidecars.alwaysHosts', 'list', 'egress hosts every sc2mesh Sidecar keeps besides the providers (namespace/host)', { flag: '--sidecar-always-host <ns/host>', repeatable: true }),
  key('server.host', 'string', 'address of the /healthz and /metrics server', { flag: '--server-host <host>' }),
  key('server.port', 'number', 'port of the /healthz and /metrics server; 0 = off', { flag: '--server-port <port>' }),
  key('log.level', 'string', 'fatal, error, warn, info, debug, trace or silent', { flag: '--log-level <level>', fold: 'lower' }),
];

const BY_PATH = new Map(CONFIG_KEYS.map((k) => [k.path, k]));

export function configKey(path: string): ConfigKey | undefined {
  return BY_PATH.get(path);
}

/** The key a (possibly deeper) field belongs to: `render.extraLabels.app` → `render.extraLabels`. */
export function keyOfField(field: string): ConfigKey | undefined {
  for (const k of CONFIG_KEYS) {
    if (field === k.path || field.startsWith(`${k.path}.`) || field.startsWith(`${k.path}[`)) return k;
  }
  return undefined;
}
