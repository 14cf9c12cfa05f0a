// One error type for every configuration failure. It names the key the way the user
// wrote it (a flag, an environment variable, or a path inside a named file) and the
// value, except for secrets.
import { describeValue } from '../model/validation.ts';

export type ConfigSource = 'flag' | 'env' | 'file' | 'default';

/** Where a value came from, spelled as the user wrote it. */
export interface Origin {
  readonly source: ConfigSource;
  /** `--kube-qps`, `SC2MESH_KUBE_QPS`, `kube.qps` (file) or `kube.qps` (default) */
  readonly key: string;
  /** the config file, for source `file` */
  readonly file?: string | undefined;
}

export const REDACTED = '[redacted]';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** as the user wrote it: `--kube-qps`, `SC2MESH_KUBE_QPS`, or `kube.qps` in `file` */
  readonly key: string;
  readonly source: ConfigSource;
  /** the config file, for source `file` */
  readonly file: string | undefined;
  constructor(message: string, origin: Origin) {
    super(message);
    this.key = origin.key;
    this.source = origin.source;
    this.file = origin.file;
  }
}

export function whereOf(origin: Origin): string {
  if (origin.source === 'file') return origin.key === origin.file ? origin.key : `${origin.key} in ${origin.file ?? 'the config file'}`;
  if (origin.source === 'default') return `${origin.key} (default)`;
  return origin.key;
}

export interface ShownValue {
  readonly value: unknown;
  readonly secret: boolean;
}

/** A URL with credentials is refused, but the refusal must not print them. */
function hideUrlCredentials(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, `$1${REDACTED}@`);
  if (Array.isArray(value)) return value.map(hideUrlCredentials);
  return value;
}

export function showValue(shown: ShownValue): string {
  return shown.secret ? REDACTED : describeValue(hideUrlCredentials(shown.value));
}

/** `invalid configuration: SC2MESH_KUBE_QPS: expected a number (got "abc")` */
export function configError(origin: Origin, problem: string, shown?: ShownValue): ConfigError {
  const got = shown === undefined ? '' : ` (got ${showValue(shown)})`;
  return new ConfigError(`invalid configuration: ${whereOf(origin)}: ${problem}${got}`, origin);
}

/**
 * The origin of a field below a key: the file spells the full path; a flag or variable
 * holds the whole list or map, so the item is named after it.
 */
export function originOfField(origin: Origin, keyPath: string, field: string): Origin {
  const rest = field.slice(keyPath.length);
  if (rest === '') return origin;
  if (origin.source === 'file' || origin.source === 'default') return { ...origin, key: field };
  if (rest.startsWith('[')) return { ...origin, key: `${origin.key}${rest}` };
  return { ...origin, key: `${origin.key} (key ${JSON.stringify(rest.replace(/^\./, ''))})` };
}
