// metadata.managedFields: who owns which fields, per field manager and operation, and the
// two ways ownership changes — server-side apply (conflicts, merge, removal of fields the
// applier stopped applying) and plain updates (the updater takes every field it changed).
import {
  clone,
  deepEqual,
  decodePath,
  describePath,
  fieldSetOf,
  fromFieldsV1,
  hasPrefix,
  isItemMember,
  isObject,
  mergeValue,
  pruneEmptyParents,
  removeAt,
  toFieldsV1,
  valueAt,
  type FieldSet,
  type Json,
  type JsonObject,
} from './field-sets.ts';
import type { SchemaNode } from './resources.ts';

export type Operation = 'Apply' | 'Update';

export interface ManagedFieldsEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
}

interface Entry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time: string;
  set: FieldSet;
}

export interface FieldConflict {
  manager: string;
  /** as the API server prints it: `.spec.location` */
  field: string;
}

export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function readEntries(obj: JsonObject | undefined): Entry[] {
  const meta = obj?.['metadata'];
  const raw = isObject(meta) ? meta['managedFields'] : undefined;
  if (!Array.isArray(raw)) return [];
  const out: Entry[] = [];
  for (const e of raw) {
    if (!isObject(e) || typeof e['manager'] !== 'string') continue;
    out.push({
      manager: e['manager'],
      operation: e['operation'] === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof e['apiVersion'] === 'string' ? e['apiVersion'] : '',
      time: typeof e['time'] === 'string' ? e['time'] : '',
      set: fromFieldsV1(e['fieldsV1']),
    });
  }
  return out;
}

function writeEntries(obj: JsonObject, entries: readonly Entry[]): void {
  const meta = (obj['metadata'] ??= {}) as JsonObject;
  const kept = entries.filter((e) => e.set.size > 0);
  if (kept.length === 0) {
    delete meta['managedFields'];
    return;
  }
  meta['managedFields'] = kept.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    time: e.time,
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(e.set) as Json,
  }));
}

/** Managed fields compared by content (not time): equal means ownership did not change. */
export function sameOwnership(a: JsonObject | undefined, b: JsonObject | undefined): boolean {
  const key = (o: JsonObject | undefined) =>
    readEntries(o)
      .filter((e) => e.set.size > 0)
      .map((e) => `${e.manager}\u0000${e.operation}\u0000${[...e.set].sort().join('\u0001')}`)
      .sort();
  return deepEqual(key(a), key(b));
}

const SERVER_OWNED_ROOT = new Set(['apiVersion', 'kind', 'metadata', 'status']);

export interface ApplyInput {
  live: JsonObject | undefined;
  applied: JsonObject;
  manager: string;
  force: boolean;
  schema: SchemaNode;
  apiVersion: string;
  now: Date;
}

export type ApplyOutput = { ok: true; object: JsonObject } | { ok: false; conflicts: FieldConflict[] };

/** Server-side apply of `applied` by `manager` onto `live` (undefined: create). */
export function serverSideApply(input: ApplyInput): ApplyOutput {
  const { live, applied, manager, force, schema } = input;
  const time = rfc3339(input.now);
  const appliedSet = fieldSetOf(applied, schema);
  const entries = readEntries(live);
  const isApplier = (e: Entry) => e.manager === manager && e.operation === 'Apply';

  const conflicts: FieldConflict[] = [];
  const conflicting = new Set<string>();
  if (live !== undefined) {
    for (const e of entries) {
      if (isApplier(e)) continue;
      for (const member of e.set) {
        if (!appliedSet.has(member) || isItemMember(member)) continue;
        const path = decodePath(member);
        const current = valueAt(live, path);
        if (current.found && !deepEqual(current.value, valueAt(applied, path).value)) {
          conflicts.push({ manager: e.manager, field: describePath(member) });
          conflicting.add(member);
        }
      }
    }
  }
  if (conflicts.length > 0 && !force) return { ok: false, conflicts };

  const result: JsonObject = live === undefined ? {} : clone(live);
  for (const [k, v] of Object.entries(applied)) {
    if (SERVER_OWNED_ROOT.has(k)) continue;
    result[k] = mergeValue(result[k], v, schema.properties?.get(k));
  }
  const appliedMeta = isObject(applied['metadata']) ? applied['metadata'] : {};
  const meta = (result['metadata'] = isObject(result['metadata']) ? result['metadata'] : {});
  for (const m of ['labels', 'annotations'] as const) {
    const map = appliedMeta[m];
    if (isObject(map)) meta[m] = mergeValue(meta[m], map, undefined);
  }

  const others = entries.filter((e) => !isApplier(e));
  for (const e of others) for (const member of conflicting) e.set.delete(member);
  const previous = entries.find(isApplier);
  const dropped = previous === undefined ? [] : [...previous.set].filter((m) => !appliedSet.has(m));
  // Shallowest first: a dropped list item goes as a whole, before its own fields.
  dropped.sort((a, b) => decodePath(a).length - decodePath(b).length);
  const ownedByOthers = (member: string) => others.some((e) => [...e.set].some((m) => hasPrefix(m, member)));
  const ownedByAnyone = (member: string) => appliedSet.has(member) || others.some((e) => e.set.has(member));
  for (const member of dropped) {
    if (ownedByOthers(member)) continue;
    const path = decodePath(member);
    if (isKeyField(path)) continue;
    removeAt(result, path);
    pruneEmptyParents(result, path, ownedByAnyone);
  }
  for (const e of others) for (const member of [...e.set]) if (!valueAt(result, decodePath(member)).found) e.set.delete(member);

  const applierEntry: Entry = {
    manager,
    operation: 'Apply',
    apiVersion: input.apiVersion,
    time: previous !== undefined && sameSet(previous.set, appliedSet) && deepEqual(withoutManaged(live), withoutManaged(result)) ? previous.time : time,
    set: appliedSet,
  };
  const next = previous === undefined ? [...entries, applierEntry] : entries.map((e) => (e === previous ? applierEntry : e));
  writeEntries(result, next);
  return { ok: true, object: result };
}

/** A key field of a keyed-list item: it stays as long as the item does. */
function isKeyField(path: readonly string[]): boolean {
  const last = path.at(-1);
  const parent = path.at(-2);
  if (last === undefined || parent === undefined || !last.startsWith('f:') || !parent.startsWith('k:')) return false;
  return Object.hasOwn(JSON.parse(parent.slice(2)) as object, last.slice(2));
}

function sameSet(a: FieldSet, b: FieldSet): boolean {
  return a.size === b.size && [...a].every((m) => b.has(m));
}

function withoutManaged(obj: JsonObject | undefined): JsonObject | undefined {
  if (obj === undefined) return undefined;
  const copy = { ...obj };
  if (isObject(copy['metadata'])) {
    const meta = { ...copy['metadata'] };
    delete meta['managedFields'];
    copy['metadata'] = meta;
  }
  return copy;
}

export interface UpdateInput {
  old: JsonObject | undefined;
  next: JsonObject;
  manager: string;
  schema: SchemaNode;
  apiVersion: string;
  now: Date;
}

/** A create, update or non-apply patch: the updater owns what it changed; nobody owns what it removed. */
export function recordUpdate(input: UpdateInput): void {
  const { old, next, manager, schema } = input;
  const entries = readEntries(old);
  const newSet = fieldSetOf(next, schema);
  const oldSet = old === undefined ? new Set<string>() : fieldSetOf(old, schema);
  const changed = new Set<string>();
  for (const member of newSet) {
    if (!oldSet.has(member)) changed.add(member);
    else if (!isItemMember(member) && old !== undefined) {
      const path = decodePath(member);
      if (!deepEqual(valueAt(old, path).value, valueAt(next, path).value)) changed.add(member);
    }
  }
  const removed = [...oldSet].filter((m) => !newSet.has(m));
  let target = entries.find((e) => e.manager === manager && e.operation === 'Update');
  for (const e of entries) {
    for (const m of removed) for (const owned of [...e.set]) if (hasPrefix(owned, m)) e.set.delete(owned);
    if (e !== target) for (const m of changed) e.set.delete(m);
  }
  if (changed.size > 0) {
    if (target === undefined) {
      target = { manager, operation: 'Update', apiVersion: input.apiVersion, time: '', set: new Set() };
      entries.push(target);
    }
    for (const m of changed) target.set.add(m);
    target.time = rfc3339(input.now);
  }
  writeEntries(next, entries);
}
