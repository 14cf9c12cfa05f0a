// The shape of sc2mesh's configuration: one zod schema per section, the resolved type
// every command and function receives, and the defaults. Render, debounce and guard
// reuse the types (and for render and debounce the validators) of the modules they
// configure, so a rule lives in one place.
import { z } from 'zod';
import { DEFAULT_RENDER_OPTIONS, type RenderOptions } from '../render/options.ts';
import { DEFAULT_DEBOUNCE_CONFIG, type DebounceConfig } from '../debounce/config.ts';
import { DEFAULT_DELETION_GUARD, type DeletionGuardConfig } from '../plan/deletion-guard.ts';
import { REDACTED } from './errors.ts';

export const KUBE_MODES = ['kubeconfig', 'in-cluster', 'eks', 'none'] as const;
export type KubeMode = (typeof KUBE_MODES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type ConfigLogLevel = (typeof LOG_LEVELS)[number];

export const CONFIG_SECTIONS = ['registry', 'render', 'kube', 'out', 'guard', 'debounce', 'state', 'queue', 'sync', 'audit', 'governance', 'sidecars', 'server', 'log'] as const;
export type ConfigSection = (typeof CONFIG_SECTIONS)[number];

/** Credentials in a URL would end up in logs and in `--print-config`; they have their own keys. */
function isHttpUrl(s: string): boolean {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
}

const URL_MESSAGE = 'must be an http:// or https:// URL without credentials';
const httpUrl = z.string().refine(isHttpUrl, URL_MESSAGE);
const optionalUrl = z.string().refine((s) => s === '' || isHttpUrl(s), URL_MESSAGE);
const positiveInt = z.number().int('must be a whole number').positive('must be greater than 0').max(Number.MAX_SAFE_INTEGER);
const nonNegativeInt = z.number().int('must be a whole number').min(0, 'must be 0 or more').max(Number.MAX_SAFE_INTEGER);
/** Domain and project end up in a header and a URL path. */
const registryScope = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'must be letters, digits, "_", "." or "-" (at most 128)');
/** eu-west-1, us-gov-west-1, cn-north-1, ... */
const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1');
const optionalAwsRegion = z.string().refine((s) => s === '' || /^[a-z]{2}(-[a-z]+)+-\d+$/.test(s), 'must be an AWS region such as eu-west-1');

export const RegistrySchema = z.strictObject({
  addresses: z.array(httpUrl).min(1, 'needs at least one address'),
  domain: registryScope,
  project: registryScope,
  username: z.string(),
  // a config printed by describeConfig and loaded back must not log in with the placeholder
  password: z.string().refine((s) => s !== REDACTED, 'is the placeholder describeConfig prints; give the real password (better: registry.passwordFile)'),
  passwordFile: z.string(),
  caFile: z.string(),
  insecureSkipVerify: z.boolean(),
  timeoutMs: positiveInt,
  listIntervalMs: positiveInt,
  breakerFailures: z.number().int('must be a whole number').min(1, 'must be 1 or more').max(100, 'must be at most 100'),
  breakerCoolDownMs: positiveInt,
  watcherServiceName: z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,126}[A-Za-z0-9])?$/, 'must be a service-center service name (letters, digits, "_", "." or "-")'),
});
export type RegistrySettings = z.output<typeof RegistrySchema>;

export const EksSchema = z.strictObject({
  clusterName: z.string().refine((s) => s === '' || /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(s), 'must be an EKS cluster name'),
  region: optionalAwsRegion,
  /** optional: without it (and caData) the cluster is looked up with eks:DescribeCluster */
  endpoint: z.string().refine((s) => s === '' || (isHttpUrl(s) && s.startsWith('https://')), 'must be an https:// URL'),
  caData: z.string().refine((s) => s === '' || /^[A-Za-z0-9+/\s]+=*\s*$/.test(s), 'must be base64 (the certificateAuthority.data of DescribeCluster)'),
});
export type EksSettings = z.output<typeof EksSchema>;

const kubeFields = {
  mode: z.enum(KUBE_MODES, `must be one of ${KUBE_MODES.join(', ')}`),
  kubeconfig: z.string(),
  context: z.string(),
  eks: EksSchema,
  qps: z.number().min(0, 'must be 0 (off) or more').max(1e6),
  burst: z.number().int('must be a whole number').min(1, 'must be 1 or more').max(1e6),
  timeoutMs: positiveInt,
  concurrency: z.number().int('must be a whole number').min(1, 'must be 1 or more').max(256, 'must be at most 256'),
};
export const KubeSchema = z.strictObject(kubeFields);
export type KubeSettings = z.output<typeof KubeSchema>;

export const GuardSchema = z.strictObject({
  maxDeleteShare: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1'),
  minDeletesToCheck: nonNegativeInt,
  force: z.boolean(),
});

/** Types only; resolveDebounceConfig checks the numbers and how they relate. */
const DebounceLayerSchema = z.strictObject({ quietMs: z.number(), maxDelayMs: z.number(), maxEvents: z.number() });

export const StateSchema = z.strictObject({
  table: z.string().refine((s) => s === '' || /^[A-Za-z0-9_.-]{3,255}$/.test(s), 'must be a DynamoDB table name (3-255 of letters, digits, "_", "." or "-")'),
  dir: z.string().min(1, 'must not be empty'),
  region: optionalAwsRegion,
  endpoint: optionalUrl,
});
export type StateSettings = z.output<typeof StateSchema>;

export const QueueSchema = z.strictObject({
  url: optionalUrl,
  // With only a name (Lambda), the URL is built from the function's own region and account.
  name: z.string().regex(/^$|^[A-Za-z0-9_-]{1,80}$/, 'must be an SQS queue name (letters, digits, - and _, at most 80)'),
  region: optionalAwsRegion,
  endpoint: optionalUrl,
});
export type QueueSettings = z.output<typeof QueueSchema>;

export const SyncSchema = z.strictObject({ intervalMs: positiveInt });
export type SyncSettings = z.output<typeof SyncSchema>;

export const AuditSchema = z.strictObject({ periodMinutes: positiveInt });
export type AuditSettings = z.output<typeof AuditSchema>;

/** A namespace name as Kubernetes takes it. */
const namespaceName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a namespace name (a DNS-1123 label: lower-case letters, digits, "-", at most 63)');

export const GovernanceSchema = z.strictObject({
  enabled: z.boolean(),
  rateLimiting: z.boolean(),
  /** where the rate-limit EnvoyFilters go: the mesh's root namespace makes them apply to every proxy */
  rateLimitNamespace: namespaceName,
});
export type GovernanceSettings = z.output<typeof GovernanceSchema>;

/** A label key as Kubernetes takes it: an optional DNS-subdomain prefix and "/", then a name of at most 63. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** `namespace/host` as Sidecar egress takes it (Istio's validation): namespace `*`, `.`, `~` or a name; host `*`, `*.suffix` or a DNS name. */
const SIDECAR_HOST = /^(\*|\.|~|[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/(\*|(\*\.)?[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*)$/;

export const SidecarsSchema = z.strictObject({
  enabled: z.boolean(),
  /** `app` (every environment) or `environment/app` (wins) → the namespace where that app's consumers run in the mesh */
  namespaceByApp: z.record(z.string().min(1, 'must not be empty'), namespaceName),
  /** the pod label whose value is the consumer's serviceName */
  selectorLabel: z.string().refine((s) => s.length <= 317 && LABEL_KEY.test(s), 'must be a Kubernetes label key (e.g. app or app.kubernetes.io/name)'),
  alwaysHosts: z.array(z.string().regex(SIDECAR_HOST, 'must be namespace/host as Sidecar egress takes it (e.g. istio-system/*, ./*, shop/api.shop.svc.cluster.local)')),
});
export type SidecarsSettings = z.output<typeof SidecarsSchema>;

export const ServerSchema = z.strictObject({
  host: z.string().min(1, 'must not be empty'),
  port: z.number().int('must be a whole number').min(0, 'must be 0 (off) to 65535').max(65535, 'must be 0 (off) to 65535'),
});
export type ServerSettings = z.output<typeof ServerSchema>;

export const LogSchema = z.strictObject({ level: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`) });
export type LogSettings = z.output<typeof LogSchema>;

/** The resolved configuration: every key present, validated, paths absolute. */
export interface Sc2meshConfig {
  registry: RegistrySettings;
  render: RenderOptions;
  kube: KubeSettings;
  /** write manifests to this folder instead of a cluster ('' = use the cluster) */
  out: string;
  guard: DeletionGuardConfig;
  debounce: DebounceConfig;
  state: StateSettings;
  queue: QueueSettings;
  sync: SyncSettings;
  audit: AuditSettings;
  governance: GovernanceSettings;
  sidecars: SidecarsSettings;
  server: ServerSettings;
  log: LogSettings;
}

/**
 * Types of the render keys only; resolveRenderOptions owns their rules. Strict here so
 * an unknown render key is reported under its own name.
 */
const RenderLayerSchema = z
  .strictObject({
    namespace: z.string(),
    source: z.string(),
    mode: z.string(),
    hostTemplate: z.string(),
    nameTemplate: z.string(),
    publishStatuses: z.array(z.string()),
    exportTo: z.array(z.string()),
    exportToByApp: z.record(z.string(), z.array(z.string())),
    extraLabels: z.record(z.string(), z.string()),
    destinationRules: z.boolean(),
    subsets: z.string(),
    location: z.string(),
    excludeServices: z.array(z.string()),
  } satisfies Record<keyof RenderOptions, z.ZodType>)
  .partial();

/** What one layer (file, environment, flags) may hold: any subset, no unknown key. */
export const ConfigLayerSchema = z
  .strictObject({
    registry: RegistrySchema.partial(),
    render: RenderLayerSchema,
    kube: z.strictObject({ ...kubeFields, eks: EksSchema.partial() }).partial(),
    out: z.string(),
    guard: GuardSchema.partial(),
    debounce: DebounceLayerSchema.partial(),
    state: StateSchema.partial(),
    queue: QueueSchema.partial(),
    sync: SyncSchema.partial(),
    audit: AuditSchema.partial(),
    governance: GovernanceSchema.partial(),
    sidecars: SidecarsSchema.partial(),
    server: ServerSchema.partial(),
    log: LogSchema.partial(),
  })
  .partial();
export type ConfigLayerInput = z.input<typeof ConfigLayerSchema>;

/** Everything but render and debounce, whose own resolvers produce their sections. */
export const ResolvedCoreSchema = z.strictObject({
  registry: RegistrySchema,
  kube: KubeSchema,
  out: z.string(),
  guard: GuardSchema,
  state: StateSchema,
  queue: QueueSchema,
  sync: SyncSchema,
  audit: AuditSchema,
  governance: GovernanceSchema,
  sidecars: SidecarsSchema,
  server: ServerSchema,
  log: LogSchema,
});

export const DEFAULT_CONFIG: Readonly<Sc2meshConfig> = Object.freeze<Sc2meshConfig>({
  registry: {
    addresses: ['http://127.0.0.1:30100'],
    domain: 'default',
    project: 'default',
    username: '',
    password: '',
    passwordFile: '',
    caFile: '',
    insecureSkipVerify: false,
    timeoutMs: 10_000,
    listIntervalMs: 5000,
    // An address is skipped after 3 failures in a row and tried again after 10 s; a lone
    // address is probed every 500 ms meanwhile, so a short registry restart costs < 1 s.
    breakerFailures: 3,
    breakerCoolDownMs: 10_000,
    watcherServiceName: 'sc2mesh-watcher',
  },
  render: DEFAULT_RENDER_OPTIONS,
  kube: {
    mode: 'kubeconfig',
    // '' here; loadConfig fills in $KUBECONFIG or ~/.kube/config
    kubeconfig: '',
    context: '',
    eks: { clusterName: '', region: '', endpoint: '', caData: '' },
    // Flux's defaults for its controllers' clients (--kube-api-qps 50, --kube-api-burst 300):
    // EKS protects itself with API priority and fairness, and at 20/40 a burst of 100
    // changed services under faults took 13.6 s to converge (bench scale.pushUnderFaultsMs).
    qps: 50,
    burst: 300,
    timeoutMs: 15_000,
    // Requests in flight are bounded by qps × API latency whatever this is (the seats API
    // priority and fairness counts); more services at a time only keeps one that waits out a
    // Retry-After from holding up the rest: 100 services under 20 % 429/5xx took 5.3 s at 8
    // and 4.3–4.5 s at 16, then 3.0 s at 16 once the live read became one list per kind
    // (bench scale.pushUnderFaultsMs).
    concurrency: 16,
  },
  out: '',
  guard: { ...DEFAULT_DELETION_GUARD },
  debounce: { ...DEFAULT_DEBOUNCE_CONFIG },
  state: { table: '', dir: '.sc2mesh/state', region: '', endpoint: '' },
  queue: { url: '', name: '', region: '', endpoint: '' },
  sync: { intervalMs: 60_000 },
  audit: { periodMinutes: 15 },
  // Off until asked: the rules were written for ServiceComb callers, and turned into Istio
  // routes they act on every mesh caller of the provider (README "Governance").
  governance: { enabled: false, rateLimiting: false, rateLimitNamespace: 'istio-system' },
  // Off until asked: a Sidecar narrows what its workload can reach to the providers the
  // registry recorded for it (README "Mesh footprint").
  sidecars: { enabled: false, namespaceByApp: {}, selectorLabel: 'app', alwaysHosts: ['istio-system/*', './*'] },
  server: { host: '127.0.0.1', port: 9464 },
  log: { level: 'info' },
});
