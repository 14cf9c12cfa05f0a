// The config file layer: YAML (or JSON, by extension) with the same nested shape as the
// schema. Values keep the types the file gives them; nothing is coerced, so `qps: "5"`
// is an error. Relative paths inside the file are relative to the file's folder.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { configError, type Origin } from './errors.ts';
import { buildLayer, type ConfigLayer } from './layer.ts';

export interface ConfigFileRef {
  /** as given (flag or variable), for messages */
  readonly given: string;
  /** how it was given: `--config` or `SC2MESH_CONFIG` */
  readonly origin: Origin;
}

function readProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder';
  return error instanceof Error ? error.message : String(error);
}

/** The file's content as plain data; a syntax error names the file and the line. */
export function parseConfigText(text: string, fileName: string): unknown {
  const origin: Origin = { source: 'file', key: fileName, file: fileName };
  if (fileName.toLowerCase().endsWith('.json')) {
    try {
      // a byte-order mark is allowed in YAML, and some editors write one into JSON too
      return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text) as unknown;
    } catch (error) {
      throw configError(origin, `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const line = (first.message.split('\n')[0] ?? first.message).replace(/:$/, '');
    throw configError(origin, `not valid YAML: ${line}`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (error) {
    // e.g. an alias bomb: the yaml library refuses it with a plain Error
    throw configError(origin, `not usable YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function configFileLayer(ref: ConfigFileRef, cwd: string, home: string): Promise<ConfigLayer> {
  const absolute = path.resolve(cwd, ref.given);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const shown = absolute === ref.given ? JSON.stringify(ref.given) : `${JSON.stringify(ref.given)} (${absolute})`;
    throw configError(ref.origin, `cannot read config file ${shown}: ${readProblem(error)}`);
  }
  const data = parseConfigText(text, ref.given) ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw configError({ source: 'file', key: ref.given, file: ref.given }, 'must be a mapping of sections (registry, kube, ...)');
  }
  const originOf = (field: string): Origin => ({ source: 'file', key: field, file: ref.given });
  return buildLayer('file', data, originOf, { baseDir: path.dirname(absolute), home });
}
