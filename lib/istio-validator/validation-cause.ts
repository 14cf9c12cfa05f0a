// Kubernetes' field.Error (k8s.io/apimachinery/pkg/util/validation/field), rendered the
// way the API server renders it, so a failing test reads like `kubectl apply` output.

/**
 * StatusCause reasons, as the API server names them. `UnknownField` is ours: a real
 * server rejects an unknown field under fieldValidation=Strict with a 400 BadRequest
 * (`strict decoding error: unknown field "spec.foo"`) rather than a 422 cause, so a test
 * API server should answer it with 400.
 */
export type CauseReason =
  | 'FieldValueInvalid'
  | 'FieldValueTypeInvalid'
  | 'FieldValueRequired'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'UnknownField';

/** Like a Kubernetes StatusCause; `message` is the full `field: body` line. */
export interface ValidationCause {
  field: string;
  reason: CauseReason;
  message: string;
}

/** Marks a cause whose body carries no value (Go's field.omitValue). */
const OMIT = Symbol('omit');

const BODY_PREFIX: Record<CauseReason, string> = {
  FieldValueInvalid: 'Invalid value',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueRequired: 'Required value',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  UnknownField: 'Unknown field',
};

/** Go's `%#v` of a decoded JSON value, as the API server prints a bad value. */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '"null"';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[]interface {}{${value.map(goValue).join(', ')}}`;
  if (typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${goValue((value as Record<string, unknown>)[k])}`);
    return `map[string]interface {}{${entries.join(', ')}}`;
  }
  return JSON.stringify(String(value));
}

function cause(reason: CauseReason, field: string, value: unknown, detail: string): ValidationCause {
  const shown = field === '' ? '<nil>' : field;
  let body = BODY_PREFIX[reason];
  if (value !== OMIT) body += `: ${goValue(value)}`;
  if (detail !== '') body += `: ${detail}`;
  return { field: shown, reason, message: `${shown}: ${body}` };
}

export const fieldError = {
  invalid: (field: string, value: unknown, detail: string) => cause('FieldValueInvalid', field, value, detail),
  typeInvalid: (field: string, value: unknown, detail: string) => cause('FieldValueTypeInvalid', field, value, detail),
  required: (field: string, detail = '') => cause('FieldValueRequired', field, OMIT, detail),
  forbidden: (field: string, detail: string) => cause('FieldValueForbidden', field, OMIT, detail),
  duplicate: (field: string, value: unknown) => cause('FieldValueDuplicate', field, value, ''),
  notSupported: (field: string, value: unknown, supported: readonly string[]) =>
    cause('FieldValueNotSupported', field, value, supported.length === 0 ? '' : `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`),
  /** field.TooLong: a byte budget (annotations). */
  tooLongBytes: (field: string, max: number) => cause('FieldValueTooLong', field, OMIT, `must have at most ${max} bytes`),
  /** field.TooLongMaxLength: a schema maxLength. */
  tooLong: (field: string, max: number) => cause('FieldValueTooLong', field, OMIT, `may not be longer than ${max}`),
  tooMany: (field: string, actual: number, max: number) => cause('FieldValueTooMany', field, actual, `must have at most ${max} items`),
  unknownField: (field: string): ValidationCause => ({
    field,
    reason: 'UnknownField',
    message: `${field}: strict decoding error: unknown field ${JSON.stringify(field)}`,
  }),
};

/** The warning text a server sends for a pruned field (fieldValidation=Warn). */
export function unknownFieldWarning(field: string): string {
  return `unknown field ${JSON.stringify(field)}`;
}

/** Cause types that make the API server skip the CEL rules (strategy.go hasBlockingErr). */
export function isBlocking(c: ValidationCause): boolean {
  return (
    c.reason === 'FieldValueNotSupported' ||
    c.reason === 'FieldValueRequired' ||
    c.reason === 'FieldValueTooLong' ||
    c.reason === 'FieldValueTooMany' ||
    c.reason === 'FieldValueTypeInvalid'
  );
}

export const fieldPath = {
  child: (parent: string, name: string): string => (parent === '' ? name : `${parent}.${name}`),
  index: (parent: string, i: number): string => `${parent}[${i}]`,
  key: (parent: string, key: string): string => `${parent}[${key}]`,
};
