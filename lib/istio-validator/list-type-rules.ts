// x-kubernetes-list-type set/map uniqueness, as apiextensions' listtype.ValidateListSetsAndMaps.
import { isJsonObject, type SchemaNode } from './structural-schema.ts';
import { fieldError, fieldPath, type ValidationCause } from './validation-cause.ts';

/** A stable identity for a JSON value: object keys sorted, so {a,b} and {b,a} agree. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isJsonObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** Marks a missing map key: all items that lack it share one identity. */
const UNSPECIFIED = '\u0000unspecified';

function checkListMap(list: unknown[], schema: SchemaNode, path: string, causes: ValidationCause[]): void {
  const index = list.findIndex((x) => x !== null && !isJsonObject(x));
  if (index >= 0) {
    causes.push(fieldError.invalid(fieldPath.index(path, index), list[index], 'must be an object for an array of list-type map'));
    return;
  }
  const keys = schema.listMapKeys;
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (!isJsonObject(item)) return;
    const identity = keys.map((k) => (k in item ? canonical(item[k]) : UNSPECIFIED)).join('\u0001');
    if (!seen.has(identity)) {
      seen.add(identity);
      return;
    }
    const onlyKey = keys.length === 1 ? keys[0] : undefined;
    if (onlyKey !== undefined) {
      causes.push(fieldError.duplicate(fieldPath.child(fieldPath.index(path, i), onlyKey), item[onlyKey] ?? {}));
    } else {
      causes.push(fieldError.duplicate(fieldPath.index(path, i), Object.fromEntries(keys.filter((k) => k in item).map((k) => [k, item[k]]))));
    }
  });
}

function checkListSet(list: unknown[], path: string, causes: ValidationCause[]): void {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const identity = canonical(item);
    if (seen.has(identity)) causes.push(fieldError.duplicate(fieldPath.index(path, i), item));
    else seen.add(identity);
  });
}

function walk(value: unknown, schema: SchemaNode, path: string, causes: ValidationCause[]): void {
  if (Array.isArray(value)) {
    if (schema.listType === 'map') checkListMap(value, schema, path, causes);
    else if (schema.listType === 'set') checkListSet(value, path, causes);
    const items = schema.items;
    if (items !== undefined) value.forEach((item, i) => walk(item, items, fieldPath.index(path, i), causes));
    return;
  }
  if (!isJsonObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const declared = schema.properties?.get(key) ?? schema.additionalProperties;
    if (declared !== undefined) walk(child, declared, fieldPath.child(path, key), causes);
  }
}

/** True when some list in the schema has a list type worth checking. */
export function hasListTypes(schema: SchemaNode): boolean {
  if (schema.listType === 'map' || schema.listType === 'set') return true;
  for (const child of schema.properties?.values() ?? []) if (hasListTypes(child)) return true;
  if (schema.additionalProperties !== undefined && hasListTypes(schema.additionalProperties)) return true;
  return schema.items !== undefined && hasListTypes(schema.items);
}

export function checkListTypes(obj: Record<string, unknown>, root: SchemaNode): ValidationCause[] {
  const causes: ValidationCause[] = [];
  walk(obj, root, '', causes);
  return causes;
}
