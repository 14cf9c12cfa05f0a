// What the API server does to a custom resource before validating it: drop fields the
// structural schema does not declare (structural pruning, reported as unknown fields)
// and drop nulls of non-nullable fields without a default
// (PruneNonNullableNullsWithoutDefaults). The caller's object is never modified; the
// result shares whatever needed no pruning with it.
import { isJsonObject, type SchemaNode } from './structural-schema.ts';
import { fieldPath } from './validation-cause.ts';

/** Fields every resource root has beside its schema; ObjectMeta is checked on its own. */
const ROOT_IMPLICIT_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

export interface PruneResult {
  pruned: Record<string, unknown>;
  unknownFields: string[];
}

/** Keeps a value as it is: untyped, nullable, declares nothing below. */
const IMPLICIT: SchemaNode = {
  type: '',
  intOrString: false,
  nullable: true,
  hasDefault: false,
  preserveUnknownFields: true,
  properties: undefined,
  additionalProperties: undefined,
  items: undefined,
  listType: undefined,
  listMapKeys: [],
  rules: [],
  location: '<implicit>',
};

function dropsNull(value: unknown, schema: SchemaNode): boolean {
  return value === null && !schema.nullable && !schema.hasDefault;
}

/**
 * Returns `value` itself when nothing below it is pruned (the usual case for objects
 * that are valid), and a pruned copy otherwise; the input is never modified.
 */
function pruneValue(value: unknown, schema: SchemaNode, path: string, unknown: string[]): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (items === undefined) return value;
    // Null items are kept: they fail type validation instead.
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const pruned = pruneValue(item, items, fieldPath.index(path, i), unknown);
      if (out === undefined && pruned !== item) out = value.slice(0, i);
      out?.push(pruned);
    }
    return out ?? value;
  }
  if (!isJsonObject(value)) return value;
  if (schema.properties === undefined && schema.additionalProperties === undefined) {
    // An object schema that declares nothing keeps nothing, unless it preserves unknown fields.
    if (schema.preserveUnknownFields || schema.type !== 'object') return value;
  }
  return pruneFields(value, path, unknown, (key) => schema.properties?.get(key) ?? schema.additionalProperties, schema.preserveUnknownFields);
}

/** Undefined from `declared` means the key is unknown here. */
function pruneFields(
  value: Record<string, unknown>,
  path: string,
  unknown: string[],
  declared: (key: string) => SchemaNode | undefined,
  preserveUnknown: boolean,
): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const child = value[key];
    const schema = declared(key);
    let kept: unknown = child;
    let keep = true;
    if (schema !== undefined) {
      if (dropsNull(child, schema)) keep = false;
      else kept = pruneValue(child, schema, fieldPath.child(path, key), unknown);
    } else if (!preserveUnknown) {
      unknown.push(fieldPath.child(path, key));
      keep = false;
    }
    if (out === undefined && (!keep || kept !== child)) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j] as string] = value[keys[j] as string];
    }
    if (out !== undefined && keep) out[key] = kept;
  }
  return out ?? value;
}

/** Prunes a resource (root object) against its CRD version's schema. */
export function pruneResource(obj: Record<string, unknown>, root: SchemaNode): PruneResult {
  const unknownFields: string[] = [];
  // apiVersion, kind and metadata are declared by every resource, with no schema to prune by here.
  const declared = (key: string) => (ROOT_IMPLICIT_FIELDS.has(key) ? IMPLICIT : root.properties?.get(key));
  const pruned = pruneFields(obj, '', unknownFields, declared, root.preserveUnknownFields);
  return { pruned, unknownFields };
}
