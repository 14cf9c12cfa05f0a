// Render options: what an operator may choose about the objects sc2mesh emits. One
// schema validates them wherever they come from (flags, environment, config file).
import { z } from 'zod';
import { InstanceStatusValues, type InstanceStatus } from '../model/registry.ts';
import { checkTemplate } from '../names/service-names.ts';
import { isDnsLabel, isLabelValue } from '../names/sanitize.ts';
import { parseOrThrow, ValidationError, describeValue } from '../model/validation.ts';
import { MANAGED_BY_LABEL, SOURCE_LABEL, SERVICE_LABEL, SHARD_LABEL } from '../model/ownership.ts';
import { exportToProblems, parseAppSelector } from './export-to.ts';

export const RENDER_MODES = ['workloadentry', 'inline'] as const;
export type RenderMode = (typeof RENDER_MODES)[number];

/**
 * When a DestinationRule (one subset per version) is emitted: each subset is one more
 * Envoy cluster per port in every proxy that sees the service, so by default only where
 * there are versions to choose between.
 */
export const SUBSET_MODES = ['multi-version', 'always'] as const;
export type SubsetMode = (typeof SUBSET_MODES)[number];

/** Istio's hard cap on inline endpoints, and the size its maintainers advise staying under. */
export const INLINE_ENDPOINTS_MAX = 4096;
export const INLINE_ENDPOINTS_ADVISED = 128;

/** Never published: the registry's own entries. */
export const ALWAYS_EXCLUDED_SERVICES = ['SERVICECENTER', 'SERVICE-CENTER'] as const;

export interface RenderOptions {
  namespace: string;
  /** names the registry; label value on every object, so deployments never prune each other */
  source: string;
  mode: RenderMode;
  hostTemplate: string;
  nameTemplate: string;
  publishStatuses: readonly InstanceStatus[];
  exportTo: readonly string[] | undefined;
  /** `app` or `environment/app` → exportTo of that app's services, instead of `exportTo` */
  exportToByApp: Readonly<Record<string, readonly string[]>>;
  extraLabels: Readonly<Record<string, string>>;
  destinationRules: boolean;
  /** with destinationRules: a rule only for services with more than one version, or for every service */
  subsets: SubsetMode;
  location: 'MESH_INTERNAL' | 'MESH_EXTERNAL';
  /** service names never published besides the registry's own (e.g. the watcher's consumers) */
  excludeServices: readonly string[];
}

export const DEFAULT_RENDER_OPTIONS: RenderOptions = {
  namespace: 'sc2mesh',
  source: 'default',
  mode: 'workloadentry',
  hostTemplate: '{service}.{app}.{env}.servicecomb.internal',
  nameTemplate: '{service}-{app}-{env}',
  publishStatuses: ['UP'],
  exportTo: undefined,
  exportToByApp: {},
  extraLabels: {},
  destinationRules: false,
  subsets: 'multi-version',
  location: 'MESH_INTERNAL',
  excludeServices: ['sc2mesh-watcher'],
};

const RESERVED_LABELS = new Set([MANAGED_BY_LABEL, SOURCE_LABEL, SERVICE_LABEL, SHARD_LABEL]);
const LABEL_KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;

const RenderOptionsSchema = z.strictObject({
  namespace: z.string().refine(isDnsLabel, 'must be a DNS-1123 label (lower-case letters, digits, "-", at most 63)').optional(),
  source: z.string().refine((s) => s !== '' && isLabelValue(s), 'must be a non-empty Kubernetes label value').optional(),
  mode: z.enum(RENDER_MODES).optional(),
  hostTemplate: z.string().min(1).optional(),
  nameTemplate: z.string().min(1).optional(),
  publishStatuses: z.array(z.enum(InstanceStatusValues)).min(1).optional(),
  // Istio's rules need the whole list (and the namespace): checked in checkExportTo.
  exportTo: z.array(z.string()).optional(),
  exportToByApp: z.record(z.string(), z.array(z.string())).optional(),
  extraLabels: z
    .record(
      z.string().regex(LABEL_KEY_RE, 'must be a Kubernetes label key').refine((k) => !RESERVED_LABELS.has(k), 'is set by sc2mesh itself'),
      z.string().refine(isLabelValue, 'must be a Kubernetes label value'),
    )
    .optional(),
  destinationRules: z.boolean().optional(),
  subsets: z.enum(SUBSET_MODES).optional(),
  location: z.enum(['MESH_INTERNAL', 'MESH_EXTERNAL']).optional(),
  excludeServices: z.array(z.string()).optional(),
});
export type RenderOptionsInput = z.input<typeof RenderOptionsSchema>;

function checkList(field: string, list: readonly string[], namespace: string | undefined): void {
  const [problem] = exportToProblems(list, namespace);
  if (problem === undefined) return;
  const at = problem.index === undefined ? field : `${field}[${problem.index}]`;
  const value = problem.index === undefined ? list : list[problem.index];
  throw new ValidationError(`${at}: ${problem.message} (got ${describeValue(value)})`, at, value);
}

/** Istio's exportTo rules on the default and on every app's list; `namespace` undefined skips the one check that needs it. */
function checkExportTo(options: RenderOptions, namespace: string | undefined, at: (key: string) => string): void {
  if (options.exportTo !== undefined) checkList(at('exportTo'), options.exportTo, namespace);
  for (const [key, list] of Object.entries(options.exportToByApp)) {
    const field = `${at('exportToByApp')}.${key}`;
    const selector = parseAppSelector(key);
    if (typeof selector === 'string') throw new ValidationError(`${field}: ${selector} (got key ${JSON.stringify(key)})`, field, key);
    // An empty exportTo is Istio's "every namespace": say so with "*" rather than by accident.
    if (list.length === 0) throw new ValidationError(`${field}: needs at least one namespace ("*" every namespace, "." the objects' own, "~" none) (got [])`, field, list);
    checkList(field, list, namespace);
  }
}

export interface ResolveRenderOptions {
  /**
   * One configuration layer of several (a file, the environment): rules that span keys
   * wait for the merged result, since another layer may still set the namespace.
   */
  partial?: boolean;
}

/** Validates partial options (from any source) and fills in the defaults. */
export function resolveRenderOptions(input: unknown = {}, base = 'render', resolve: ResolveRenderOptions = {}): RenderOptions {
  const parsed = parseOrThrow(RenderOptionsSchema, input, base);
  const options: RenderOptions = { ...DEFAULT_RENDER_OPTIONS };
  for (const [key, value] of Object.entries(parsed)) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
  }
  const at = (key: string): string => (base === '' ? key : `${base}.${key}`);
  checkTemplate(at('hostTemplate'), options.hostTemplate, ['service', 'app']);
  checkTemplate(at('nameTemplate'), options.nameTemplate, []);
  checkExportTo(options, resolve.partial === true ? undefined : options.namespace, at);
  return options;
}
