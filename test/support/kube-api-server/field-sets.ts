// Field ownership the way server-side apply tracks it (structured-merge-diff, FieldsV1):
// an object is a set of paths — leaves, atomic lists, and the items of keyed lists — and
// each field manager owns a set. Path segments use FieldsV1's own spelling: `f:name` for
// a field or map key, `k:{"name":"http"}` for an item of a list keyed by `name`, `v:<json>`
// for an item of a set list. Lists without a list type are atomic, as in a CRD.
import type { SchemaNode } from './resources.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type FieldPath = readonly string[];

/** Paths encoded as JSON arrays, so a Set compares them by value. */
export type FieldSet = Set<string>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

export class FieldSetError extends Error {
  override readonly name = 'FieldSetError';
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

const encode = (path: FieldPath): string => JSON.stringify(path);
export const decodePath = (member: string): string[] => JSON.parse(member) as string[];

function childSchema(schema: SchemaNode | undefined, key: string): SchemaNode | undefined {
  return schema?.properties?.get(key) ?? schema?.additionalProperties;
}

function isKeyedList(schema: SchemaNode | undefined): schema is SchemaNode {
  return schema?.listType === 'map' && schema.listMapKeys.length > 0;
}

/** The `k:` segment of a keyed-list item: its key fields as JSON, sorted by name. */
export function itemKey(item: unknown, keys: readonly string[], where: string): string {
  if (!isObject(item)) throw new FieldSetError(where, `${where}: associative list with keys has an element that is not a map`);
  const out: JsonObject = {};
  for (const k of [...keys].sort()) {
    const v = item[k];
    if (v === undefined) throw new FieldSetError(where, `${where}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
    out[k] = v;
  }
  return `k:${JSON.stringify(out)}`;
}

function collect(value: Json | undefined, schema: SchemaNode | undefined, path: string[], out: FieldSet, where: string): void {
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) {
      out.add(encode(path));
      return;
    }
    for (const k of keys) collect(value[k], childSchema(schema, k), [...path, `f:${k}`], out, `${where}.${k}`);
    return;
  }
  if (Array.isArray(value) && value.length > 0 && isKeyedList(schema)) {
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const seg = itemKey(item, schema.listMapKeys, `${where}[${i}]`);
      if (seen.has(seg)) throw new FieldSetError(where, `${where}: duplicate entries for key ${seg.slice(2)}`);
      seen.add(seg);
      const itemPath = [...path, seg];
      out.add(encode(itemPath));
      for (const [f, v] of Object.entries(item as JsonObject)) collect(v, childSchema(schema.items, f), [...itemPath, `f:${f}`], out, `${where}[${i}].${f}`);
    });
    return;
  }
  if (Array.isArray(value) && value.length > 0 && schema?.listType === 'set') {
    for (const item of value) out.add(encode([...path, `v:${JSON.stringify(item)}`]));
    return;
  }
  out.add(encode(path));
}

/** Fields of a resource that managers can own: labels, annotations, and everything but status. */
export function fieldSetOf(obj: JsonObject, schema: SchemaNode): FieldSet {
  const out: FieldSet = new Set();
  const meta = obj['metadata'];
  if (isObject(meta)) {
    for (const m of ['labels', 'annotations'] as const) {
      const map = meta[m];
      if (isObject(map)) collect(map, undefined, ['f:metadata', `f:${m}`], out, `metadata.${m}`);
    }
  }
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || k === 'status') continue;
    collect(v, schema.properties?.get(k), [`f:${k}`], out, k);
  }
  return out;
}

const isItemSegment = (seg: string | undefined): boolean => seg !== undefined && (seg.startsWith('k:') || seg.startsWith('v:'));

/** Whether a member names a list item (its existence) rather than a value. */
export const isItemMember = (member: string): boolean => isItemSegment(decodePath(member).at(-1));

function matchesKey(item: unknown, seg: string): boolean {
  if (!isObject(item)) return false;
  const key = JSON.parse(seg.slice(2)) as JsonObject;
  return Object.entries(key).every(([k, v]) => deepEqual(item[k], v));
}

function step(container: unknown, seg: string): { found: boolean; value?: Json } {
  if (seg.startsWith('f:')) {
    if (!isObject(container)) return { found: false };
    const k = seg.slice(2);
    return Object.hasOwn(container, k) ? { found: true, value: container[k] as Json } : { found: false };
  }
  if (!Array.isArray(container)) return { found: false };
  if (seg.startsWith('k:')) {
    const item = container.find((x) => matchesKey(x, seg));
    return item === undefined ? { found: false } : { found: true, value: item };
  }
  if (seg.startsWith('v:')) {
    const want = JSON.parse(seg.slice(2)) as Json;
    const item = container.find((x) => deepEqual(x, want));
    return item === undefined ? { found: false } : { found: true, value: item };
  }
  return { found: false };
}

export function valueAt(obj: Json, path: FieldPath): { found: boolean; value?: Json } {
  let cur: { found: boolean; value?: Json } = { found: true, value: obj };
  for (const seg of path) {
    if (!cur.found) return cur;
    cur = step(cur.value, seg);
  }
  return cur;
}

/** Removes the value at `path` (a field, map key or list item); a no-op when absent. */
export function removeAt(obj: JsonObject, path: FieldPath): void {
  const parent = valueAt(obj, path.slice(0, -1));
  const seg = path.at(-1);
  if (!parent.found || seg === undefined) return;
  const container = parent.value;
  if (seg.startsWith('f:') && isObject(container)) {
    delete container[seg.slice(2)];
  } else if (Array.isArray(container)) {
    const idx = seg.startsWith('k:') ? container.findIndex((x) => matchesKey(x, seg)) : container.findIndex((x) => deepEqual(x, JSON.parse(seg.slice(2))));
    if (idx >= 0) container.splice(idx, 1);
  }
}

/** `.spec.ports[name="http"].number`: how the API server names a field in a conflict. */
export function describePath(member: string): string {
  let out = '';
  for (const seg of decodePath(member)) {
    if (seg.startsWith('f:')) out += `.${seg.slice(2)}`;
    else if (seg.startsWith('k:')) {
      const key = JSON.parse(seg.slice(2)) as JsonObject;
      out += `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    } else if (seg.startsWith('v:')) out += `[=${seg.slice(2)}]`;
  }
  return out;
}

type FieldsTree = { [segment: string]: FieldsTree };

export function toFieldsV1(set: FieldSet): FieldsTree {
  const root: FieldsTree = {};
  const members = [...set].map(decodePath);
  for (const path of members) {
    let node = root;
    for (const seg of path) node = node[seg] ??= {};
  }
  for (const path of members) {
    let node: FieldsTree = root;
    for (const seg of path) node = node[seg] as FieldsTree;
    if (Object.keys(node).some((k) => k !== '.')) node['.'] = {};
  }
  return sortTree(root);
}

function sortTree(tree: FieldsTree): FieldsTree {
  const out: FieldsTree = {};
  for (const k of Object.keys(tree).sort()) out[k] = sortTree(tree[k] as FieldsTree);
  return out;
}

export function fromFieldsV1(tree: unknown, path: string[] = [], out: FieldSet = new Set()): FieldSet {
  if (!isObject(tree)) return out;
  for (const [seg, child] of Object.entries(tree)) {
    if (seg === '.') continue;
    const p = [...path, seg];
    const children = isObject(child) ? Object.keys(child) : [];
    if (children.length === 0 || children.includes('.')) out.add(encode(p));
    fromFieldsV1(child, p, out);
  }
  return out;
}

/** Server-side apply's merge: `applied` over `live`, keyed lists by key, everything else replaced. */
export function mergeValue(live: Json | undefined, applied: Json, schema: SchemaNode | undefined): Json {
  if (isObject(applied)) {
    const base: JsonObject = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) base[k] = mergeValue(base[k], v, childSchema(schema, k));
    return base;
  }
  if (Array.isArray(applied) && isKeyedList(schema)) {
    const result: Json[] = Array.isArray(live) ? live.slice() : [];
    for (const item of applied) {
      const seg = itemKey(item, schema.listMapKeys, 'list');
      const idx = result.findIndex((r) => matchesKey(r, seg));
      if (idx >= 0) result[idx] = mergeValue(result[idx], item, schema.items);
      else result.push(clone(item));
    }
    return result;
  }
  if (Array.isArray(applied) && schema?.listType === 'set') {
    const result: Json[] = Array.isArray(live) ? live.slice() : [];
    for (const item of applied) if (!result.some((r) => deepEqual(r, item))) result.push(clone(item));
    return result;
  }
  return clone(applied);
}

/** Drops objects left empty on the way to `path` unless someone owns them. */
export function pruneEmptyParents(obj: JsonObject, path: FieldPath, owned: (member: string) => boolean): void {
  for (let len = path.length - 1; len >= 1; len--) {
    const parentPath = path.slice(0, len);
    const at = valueAt(obj, parentPath);
    if (!at.found || !isObject(at.value) || Object.keys(at.value).length > 0) return;
    if (owned(encode(parentPath))) return;
    if (parentPath.length === 1 && parentPath[0] === 'f:metadata') return;
    removeAt(obj, parentPath);
  }
}

export function hasPrefix(member: string, prefix: string): boolean {
  // Members are JSON arrays: a strict prefix shares everything but the closing bracket.
  return member === prefix || member.startsWith(`${prefix.slice(0, -1)},`);
}
