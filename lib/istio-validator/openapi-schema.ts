// Layer 2: the OpenAPI value checks (types, enums, bounds, required, oneOf, ...) compiled
// with ajv, and ajv's errors turned into the causes kube-openapi would report.
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { fieldError, fieldPath, type ValidationCause } from './validation-cause.ts';

const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

/** A compiled value check: returns ajv's errors (none when valid). */
export type ValueCheck = (data: unknown) => readonly ErrorObject[];

const SUBSCHEMA_MAPS = ['properties'] as const;
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf'] as const;

/**
 * Rewrites the Kubernetes dialect into plain JSON Schema draft 7 for ajv:
 * int-or-string becomes a two-type union (as kube-openapi's converter does), and
 * OpenAPI 3.0's boolean exclusiveMinimum/Maximum become draft 7's numeric form.
 */
export function toAjvSchema(props: JSONSchemaProps): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(props)) {
    if (key.startsWith('x-kubernetes-') || key === 'description' || key === 'default') continue;
    out[key] = value;
  }
  if (props['x-kubernetes-int-or-string'] === true) out.type = ['integer', 'string'];
  if (props.exclusiveMinimum === true && props.minimum !== undefined) {
    out.exclusiveMinimum = props.minimum;
    delete out.minimum;
  } else delete out.exclusiveMinimum;
  if (props.exclusiveMaximum === true && props.maximum !== undefined) {
    out.exclusiveMaximum = props.maximum;
    delete out.maximum;
  } else delete out.exclusiveMaximum;
  for (const key of SUBSCHEMA_MAPS) {
    const map = props[key];
    if (map !== undefined) out[key] = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, toAjvSchema(v)]));
  }
  for (const key of SUBSCHEMA_LISTS) {
    const list = props[key];
    if (list !== undefined) out[key] = list.map(toAjvSchema);
  }
  if (props.not !== undefined) out.not = toAjvSchema(props.not);
  if (props.items !== undefined) out.items = toAjvSchema(props.items);
  if (typeof props.additionalProperties === 'object') out.additionalProperties = toAjvSchema(props.additionalProperties);
  return out;
}

function newAjv() {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  // The string formats the API server checks and ajv-formats knows; other formats are ignored, as there.
  addFormats(ajv, ['date-time', 'date', 'uri', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid', 'byte', 'password']);
  // kube-openapi does not range-check numeric formats.
  for (const name of ['int32', 'int64', 'float', 'double']) ajv.addFormat(name, { type: 'number', validate: () => true });
  return ajv;
}

export function compileValueCheck(root: JSONSchemaProps): ValueCheck {
  const validate: ValidateFunction = newAjv().compile(toAjvSchema(root));
  return (data) => (validate(data) ? [] : (validate.errors ?? []));
}

function decodePointerSegment(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The Kubernetes field path and the value an ajv instancePath points at. */
export function locate(data: unknown, instancePath: string): { path: string; value: unknown } {
  let path = '';
  let value: unknown = data;
  if (instancePath === '') return { path, value };
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = decodePointerSegment(raw);
    if (Array.isArray(value)) {
      path = fieldPath.index(path, Number(seg));
      value = value[Number(seg)];
    } else {
      path = fieldPath.child(path, seg);
      value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[seg] : undefined;
    }
  }
  return { path, value };
}

/** kube-openapi's name for a decoded JSON value's type. */
function jsonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const COMPOSITE_KEYWORDS = new Set(['oneOf', 'anyOf', 'not']);

/**
 * True for an error raised inside a oneOf/anyOf/not branch: kube-openapi reports the
 * composite failure, not the reasons each alternative failed.
 */
function insideCompositeBranch(schemaPath: string): boolean {
  const segs = schemaPath.split('/');
  for (let i = 1; i < segs.length - 1; i++) {
    const seg = segs[i] ?? '';
    if (COMPOSITE_KEYWORDS.has(seg) && segs[i - 1] !== 'properties') return true;
  }
  return false;
}

function toCause(err: ErrorObject, data: unknown): ValidationCause {
  const { path, value } = locate(data, err.instancePath);
  const p = path === '' ? '.' : path;
  const params = err.params as Record<string, unknown>;
  const limit = params.limit as number;
  switch (err.keyword) {
    case 'type': {
      const actual = jsonTypeName(value);
      const expected = Array.isArray(params.type) ? params.type.join(',') : String(params.type);
      return fieldError.typeInvalid(path, actual, `${p} in body must be of type ${expected}: ${JSON.stringify(actual)}`);
    }
    case 'required':
      return fieldError.required(fieldPath.child(path, String(params.missingProperty)));
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      return fieldError.notSupported(path, value, allowed);
    }
    case 'maxLength':
      return fieldError.tooLong(path, limit);
    case 'maxItems':
      return fieldError.tooMany(path, Array.isArray(value) ? value.length : -1, limit);
    case 'maxProperties':
      return fieldError.tooMany(path, typeof value === 'object' && value !== null ? Object.keys(value).length : -1, limit);
    case 'minLength':
      return fieldError.invalid(path, value, `${p} in body should be at least ${limit} chars long`);
    case 'minItems':
      return fieldError.invalid(path, Array.isArray(value) ? value.length : value, `${p} in body should have at least ${limit} items`);
    case 'minProperties':
      return fieldError.invalid(path, value, `${p} in body should have at least ${limit} properties`);
    case 'minimum':
    case 'exclusiveMinimum':
      return fieldError.invalid(path, value, `${p} in body should be greater than ${params.comparison === '>=' ? 'or equal to ' : ''}${limit}`);
    case 'maximum':
    case 'exclusiveMaximum':
      return fieldError.invalid(path, value, `${p} in body should be less than ${params.comparison === '<=' ? 'or equal to ' : ''}${limit}`);
    case 'multipleOf':
      return fieldError.invalid(path, value, `${p} in body should be a multiple of ${String(params.multipleOf)}`);
    case 'pattern':
      return fieldError.invalid(path, value, `${p} in body should match '${String(params.pattern)}'`);
    case 'format':
      return fieldError.typeInvalid(path, value, `${p} in body must be of type ${String(params.format)}: ${JSON.stringify(String(value))}`);
    case 'uniqueItems':
      return fieldError.invalid(path, value, `${p} in body shouldn't contain duplicates`);
    case 'oneOf': {
      const passing = params.passingSchemas;
      const found = Array.isArray(passing) ? `Found ${passing.length} valid alternatives` : 'Found none valid';
      return fieldError.invalid(path, '', `${JSON.stringify(p)} must validate one and only one schema (oneOf). ${found}`);
    }
    case 'anyOf':
      return fieldError.invalid(path, '', `${JSON.stringify(p)} must validate at least one schema (anyOf)`);
    case 'not':
      return fieldError.invalid(path, '', `${JSON.stringify(p)} must not validate the schema (not)`);
    default:
      return fieldError.invalid(path, value, `${p} in body ${err.message ?? `fails ${err.keyword}`}`);
  }
}

export interface ConvertOptions {
  /**
   * Standalone validators (as @kubernetes-models ships) carry schema paths relative to
   * an inlined sub-validator, so there a branch error is recognised by where it points:
   * a required/not/anyOf error at an object whose oneOf failed.
   */
  relativeSchemaPaths?: boolean;
}

const BRANCH_KEYWORDS = new Set(['required', 'not', 'anyOf']);

export function ajvErrorsToCauses(errors: readonly ErrorObject[], data: unknown, options: ConvertOptions = {}): ValidationCause[] {
  let kept = errors.filter((e) => !insideCompositeBranch(e.schemaPath));
  if (options.relativeSchemaPaths === true) {
    const oneOfAt = new Set(kept.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
    kept = kept.filter((e) => !(oneOfAt.has(e.instancePath) && BRANCH_KEYWORDS.has(e.keyword)));
  }
  const seen = new Set<string>();
  const causes: ValidationCause[] = [];
  for (const err of kept) {
    const c = toCause(err, data);
    if (seen.has(c.message)) continue;
    seen.add(c.message);
    causes.push(c);
  }
  return causes;
}
