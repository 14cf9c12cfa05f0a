// Turns schema failures into one readable line that names the field and the value, so
// an operator can find the bad record without a debugger.
import type { z } from 'zod';

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly field: string;
  readonly value: unknown;
  constructor(message: string, field: string, value: unknown) {
    super(message);
    this.field = field;
    this.value = value;
  }
}

type PathPart = PropertyKey;

export function formatPath(base: string, path: readonly PathPart[]): string {
  let out = base;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(input: unknown, path: readonly PathPart[]): unknown {
  let cur: unknown = input;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** First issue of a failed parse as `field: message (got VALUE)`. */
export function toValidationError(error: z.ZodError, input: unknown, base = ''): ValidationError {
  const issue = error.issues[0];
  if (issue === undefined) return new ValidationError(`${base || 'input'}: invalid`, base, input);
  const field = formatPath(base, issue.path);
  const value = valueAt(input, issue.path);
  const more = error.issues.length > 1 ? ` (+${error.issues.length - 1} more)` : '';
  return new ValidationError(`${field}: ${issue.message} (got ${describeValue(value)})${more}`, field, value);
}

/** Parse or throw a ValidationError naming the field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, base = ''): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw toValidationError(result.error, input, base);
  return result.data;
}
