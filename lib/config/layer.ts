// One layer of configuration (a file, the environment, the flags): checked on its own
// against the strict schema, so a bad value is reported under the name its author used
// even when a higher layer would have overridden it.
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { formatPath, ValidationError } from '../model/validation.ts';
import { resolveRenderOptions } from '../render/options.ts';
import { ConfigLayerSchema } from './schema.ts';
import { CONFIG_KEYS, keyOfField } from './keys.ts';
import { ConfigError, configError, whereOf, type ConfigSource, type Origin } from './errors.ts';

export interface ConfigLayer {
  readonly source: ConfigSource;
  /** key path → value, only the keys this layer sets; paths already absolute */
  readonly values: ReadonlyMap<string, unknown>;
  /** how the user spelled a key or a field below it */
  readonly originOf: (field: string) => Origin;
}

export interface PathContext {
  /** relative paths are resolved against this folder */
  readonly baseDir: string;
  readonly home: string;
}

export function homeOf(env: NodeJS.ProcessEnv): string {
  const home = env['HOME'];
  return home !== undefined && home !== '' ? home : os.homedir();
}

/** `~/x` and relative paths → absolute; '' stays '' (unset). */
export function resolvePath(value: string, context: PathContext): string {
  if (value === '') return value;
  if (value === '~') return context.home;
  if (value.startsWith('~/')) return path.join(context.home, value.slice(2));
  return path.resolve(context.baseDir, value);
}

function valueAt(input: unknown, parts: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const part of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

function getPath(object: unknown, keyPath: string): unknown {
  return valueAt(object, keyPath.split('.'));
}

export function setPath(object: Record<string, unknown>, keyPath: string, value: unknown): void {
  const parts = keyPath.split('.');
  let cur = object;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (next === undefined || next === null || typeof next !== 'object') cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = value;
}

export function nest(values: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [keyPath, value] of values) setPath(out, keyPath, value);
  return out;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

export function issueError(issue: z.core.$ZodIssue, input: unknown, originOf: (field: string) => Origin): ConfigError {
  if (issue.code === 'unrecognized_keys') {
    const [first = '', ...others] = issue.keys;
    const field = formatPath('', [...issue.path, first]);
    const also = others.length > 0 ? ` (also unknown: ${others.join(', ')})` : '';
    // No value: a misspelt `pasword` must not print the password.
    return configError(originOf(field), `unknown key${also}`);
  }
  const field = formatPath('', issue.path);
  const secret = keyOfField(field)?.secret ?? false;
  // zod reports a failed .int() as invalid_type (expected "int"); its message says it better
  const typeName = issue.code === 'invalid_type' ? TYPE_NAMES[issue.expected] : undefined;
  const problem = typeName !== undefined ? `expected ${typeName}` : issue.message;
  return configError(originOf(field), problem, { value: valueAt(input, issue.path), secret });
}

/**
 * Errors of the render and debounce resolvers name a field such as `render.namespace`
 * in their message; re-spell it the way the user wrote it.
 */
export function fieldErrorToConfigError(error: unknown, originOf: (field: string) => Origin): ConfigError | undefined {
  if (!(error instanceof Error)) return undefined;
  const field = error instanceof ValidationError ? error.field : /^([A-Za-z0-9_.[\]]+): /.exec(error.message)?.[1];
  if (field === undefined || keyOfField(field) === undefined || !error.message.startsWith(`${field}: `)) return undefined;
  const origin = originOf(field);
  // zod's message for a bad record key shows the entry's value, not the key; the field names the key
  const problem = error.message.slice(field.length + 2).replace(/^Invalid key in record \(got .*\)$/, 'not a valid key');
  return new ConfigError(`invalid configuration: ${whereOf(origin)}: ${problem}`, origin);
}

/** Validates one layer's nested input and flattens it to key paths. */
export function buildLayer(source: ConfigSource, input: unknown, originOf: (field: string) => Origin, paths: PathContext): ConfigLayer {
  const result = ConfigLayerSchema.safeParse(input);
  if (!result.success) {
    const first = result.error.issues[0];
    if (first !== undefined) throw issueError(first, input, originOf);
  }
  const render = getPath(input, 'render');
  if (render !== undefined) {
    try {
      resolveRenderOptions(render, 'render', { partial: true });
    } catch (error) {
      throw fieldErrorToConfigError(error, originOf) ?? error;
    }
  }
  const values = new Map<string, unknown>();
  for (const key of CONFIG_KEYS) {
    const value = getPath(input, key.path);
    if (value === undefined) continue;
    values.set(key.path, key.kind === 'path' ? resolvePath(value as string, paths) : value);
  }
  return { source, values, originOf };
}
