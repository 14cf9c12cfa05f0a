// Object names, hosts and labels for one registry service (environment, appId,
// serviceName). Every function here depends on that one key alone, never on what else
// the registry lists, so names are stable across runs and listing orders.
import { nameSuffixHash } from './hash.ts';
import { DNS_LABEL_MAX, DNS_SUBDOMAIN_MAX, toDnsLabel, toLabelValue, toReadable } from './sanitize.ts';

export interface ServiceKeyParts {
  environment: string;
  appId: string;
  serviceName: string;
}

/** Canonical, unambiguous key: `env/app/name`, each part URI-encoded. */
export function serviceKeyOf(parts: ServiceKeyParts): string {
  return `${encodeURIComponent(parts.environment)}/${encodeURIComponent(parts.appId)}/${encodeURIComponent(parts.serviceName)}`;
}

export function parseServiceKey(key: string): ServiceKeyParts {
  const segments = key.split('/');
  if (segments.length !== 3) throw new Error(`service key: expected env/app/name (got ${JSON.stringify(key)})`);
  const [environment, appId, serviceName] = segments.map(decodeURIComponent) as [string, string, string];
  if (serviceName === '') throw new Error(`service key: empty service name (got ${JSON.stringify(key)})`);
  return { environment, appId, serviceName };
}

export const TEMPLATE_PLACEHOLDERS = ['service', 'app', 'env'] as const;
const PLACEHOLDER_RE = /\{([^{}]*)\}/g;

/** Throws naming the option and the placeholder when a template is unusable. */
export function checkTemplate(option: string, template: string, required: readonly string[]): void {
  const seen = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER_RE)) {
    const name = match[1] ?? '';
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new Error(`${option}: unknown placeholder {${name}} in ${JSON.stringify(template)}; use ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`);
    }
    seen.add(name);
  }
  for (const name of required) {
    if (!seen.has(name)) throw new Error(`${option}: ${JSON.stringify(template)} must contain {${name}} so that every service gets its own`);
  }
}

/**
 * A template cut at its placeholders, as `template.replace(PLACEHOLDER_RE, …)` visits
 * them: literal, placeholder name, literal, …, literal. Templates come from the
 * configuration (a few per process), so each is cut once rather than matched by a
 * regex for every service of every render.
 */
type TemplatePieces = readonly string[];
const TEMPLATES_KEPT = 64;
const templates = new Map<string, TemplatePieces>();
const hostTemplates = new Map<string, readonly TemplatePieces[]>();
const FOLD_CASE = { foldCase: true } as const;

function cut(template: string): TemplatePieces {
  const pieces: string[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER_RE)) {
    pieces.push(template.slice(last, match.index), match[1] ?? '');
    last = match.index + match[0].length;
  }
  pieces.push(template.slice(last));
  return pieces;
}

function remembered<T>(map: Map<string, T>, template: string, make: (t: string) => T): T {
  let value = map.get(template);
  if (value === undefined) {
    if (map.size >= TEMPLATES_KEPT) map.clear();
    value = make(template);
    map.set(template, value);
  }
  return value;
}

const compiledTemplate = (template: string): TemplatePieces => remembered(templates, template, cut);
/** The host template label by label (split at `.`, as hostFor reads it), each cut at its placeholders. */
const compiledHostTemplate = (template: string): readonly TemplatePieces[] => remembered(hostTemplates, template, (t) => t.split('.').map(cut));

function valueOf(placeholder: string, parts: ServiceKeyParts): string {
  if (placeholder === 'service') return parts.serviceName;
  if (placeholder === 'app') return parts.appId;
  return parts.environment;
}

/**
 * The ServiceEntry host: each placeholder becomes one DNS label (so `a.b` as a service
 * name can never be confused with a different app), an empty environment drops its
 * label, and case is folded (DNS ignores it).
 */
export function hostFor(template: string, parts: ServiceKeyParts): string {
  const labels: string[] = [];
  for (const segment of compiledHostTemplate(template)) {
    let host = segment[0] as string;
    for (let i = 1; i < segment.length; i += 2) {
      const raw = valueOf(segment[i] as string, parts);
      host += (raw === '' ? '' : toDnsLabel(raw, FOLD_CASE)) + (segment[i + 1] as string);
    }
    if (host !== '') labels.push(host.toLowerCase());
  }
  const host = labels.join('.');
  if (host.length > DNS_SUBDOMAIN_MAX) {
    // Keep the host a valid DNS name: shorten the first label and make it unique again.
    const suffix = nameSuffixHash(serviceKeyOf(parts));
    const excess = host.length - DNS_SUBDOMAIN_MAX;
    const first = labels[0] ?? '';
    labels[0] = `${first.slice(0, Math.max(1, first.length - excess - suffix.length - 1)).replace(/-+$/, '')}-${suffix}`;
    return labels.join('.');
  }
  return host;
}

/**
 * The ServiceEntry (and DestinationRule) name: a readable prefix from the template plus
 * a hash of the key. The hash is always there: `a-b` + `c` and `a` + `b-c` would
 * otherwise both read `a-b-c`. ≤ 63 characters, so it also serves as a label value.
 */
export function objectNameFor(template: string, parts: ServiceKeyParts, keyHash: string = serviceKeyHash(serviceKeyOf(parts))): string {
  const suffix = keyHash;
  const pieces = compiledTemplate(template);
  let filled = pieces[0] as string;
  for (let i = 1; i < pieces.length; i += 2) filled += valueOf(pieces[i] as string, parts) + (pieces[i + 1] as string);
  const readable = toReadable(filled);
  const head = readable.slice(0, DNS_LABEL_MAX - suffix.length - 1).replace(/-+$/, '');
  return head === '' ? `svc-${suffix}` : `${head}-${suffix}`;
}

/** WorkloadEntry name: the service's name plus a hash of the instance id. */
export function workloadEntryName(serviceObjectName: string, instanceId: string): string {
  return `${serviceObjectName}-${workloadEntrySuffix(instanceId)}`;
}

/**
 * The part of a WorkloadEntry name after `<service name>-`. All of one service's entries
 * share that prefix, so ordering them by suffix orders them by name, on short strings.
 */
export function workloadEntrySuffix(instanceId: string): string {
  return nameSuffixHash(instanceId);
}

const NUMERIC_VERSION_RE = /^[0-9]+(\.[0-9]+)*$/;

/** DestinationRule subset for a version: `1.2.0` → `v1-2-0` (registry versions are digits and dots). */
export function subsetNameFor(version: string): string {
  if (NUMERIC_VERSION_RE.test(version) && version.length < DNS_LABEL_MAX) return `v${version.replaceAll('.', '-')}`;
  return toDnsLabel(`v-${version}`);
}

export function versionLabelFor(version: string): string {
  return toLabelValue(version, 'unknown');
}

export function appLabelFor(serviceName: string): string {
  return toLabelValue(serviceName, 'unknown');
}

/** The drift audit reads one slice of shards per run; a fixed count keeps labels stable when the audit period changes. */
export const AUDIT_SHARDS = 60;

/** Audit shard of a service (label SHARD_LABEL on each of its objects). */
export function shardOf(parts: ServiceKeyParts, keyHash: string = serviceKeyHash(serviceKeyOf(parts))): number {
  return Number.parseInt(keyHash, 16) % AUDIT_SHARDS;
}

/**
 * The hash of a service key behind both its object name and its shard; a renderer that
 * already holds the key computes it once and passes it to both.
 */
export function serviceKeyHash(key: string): string {
  return nameSuffixHash(key);
}
