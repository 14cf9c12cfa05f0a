// What went wrong with an API call, in the terms the writer decides on: the server's
// Status (code, reason, causes), a timeout, or a broken connection. client-node 2.x
// throws ApiException with `.code`, the raw body string and the response headers.
import type { ApiException } from '@kubernetes/client-node';
import { z } from 'zod';

const statusSchema = z.looseObject({
  kind: z.literal('Status').optional(),
  code: z.number().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  details: z
    .looseObject({
      causes: z.array(z.looseObject({ reason: z.string().optional(), message: z.string().optional(), field: z.string().optional() })).optional(),
      retryAfterSeconds: z.number().optional(),
    })
    .optional(),
});

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface KubeStatus {
  code: number;
  reason: string;
  message: string;
  causes: StatusCause[];
  /** Retry-After as sent (header, else details.retryAfterSeconds) */
  retryAfter: string | undefined;
}

function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/**
 * client-node's ApiException, recognised by shape: it may come from another module
 * instance, and a shape check keeps the client library out of what imports this file.
 */
function isApiException(error: unknown): error is ApiException<unknown> {
  const e = error as { code?: unknown; body?: unknown; headers?: unknown } | null;
  return typeof e === 'object' && e !== null && typeof e.code === 'number' && 'body' in e && typeof e.headers === 'object';
}

/** The Status behind an HTTP error, or undefined for a transport failure. */
export function statusOf(error: unknown): KubeStatus | undefined {
  if (!isApiException(error)) return undefined;
  const e = error;
  let parsed: z.infer<typeof statusSchema> | undefined;
  const body: unknown = e.body;
  try {
    const candidate: unknown = typeof body === 'string' ? JSON.parse(body) : body;
    const result = statusSchema.safeParse(candidate);
    if (result.success) parsed = result.data;
  } catch {
    parsed = undefined;
  }
  const retryAfterHeader = header(e.headers, 'retry-after');
  const retryAfterDetail = parsed?.details?.retryAfterSeconds;
  return {
    code: e.code,
    reason: parsed?.reason ?? '',
    message: parsed?.message ?? (typeof body === 'string' ? body.slice(0, 300) : `HTTP ${e.code}`),
    causes: parsed?.details?.causes ?? [],
    retryAfter: retryAfterHeader ?? (retryAfterDetail === undefined ? undefined : String(retryAfterDetail)),
  };
}

export const isNotFound = (s: KubeStatus | undefined): boolean => s?.code === 404;

/** Server-side apply found fields owned by another manager: retrying cannot help. */
export function isFieldManagerConflict(s: KubeStatus | undefined): boolean {
  return s?.code === 409 && s.causes.some((c) => c.reason === 'FieldManagerConflict');
}

/** A create found the name taken (by anyone, or by our own earlier attempt). */
export const isAlreadyExists = (s: KubeStatus | undefined): boolean => s?.code === 409 && s.reason === 'AlreadyExists';

/** A stale resourceVersion or failed precondition: re-read, then try again. */
export function isOptimisticConflict(s: KubeStatus | undefined): boolean {
  return s?.code === 409 && s.reason !== 'AlreadyExists' && !isFieldManagerConflict(s);
}

/** The object is over etcd's size limit: retrying the same body cannot help. */
export function isTooLarge(s: KubeStatus | undefined): boolean {
  return s !== undefined && (s.code === 413 || /request is too large/i.test(s.message));
}

// Errors may come from another realm (undici's, or jest's sandbox): compare names, not classes.
function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : undefined;
}

export function isTimeout(error: unknown): boolean {
  const name = errorName(error);
  return name === 'TimeoutError' || name === 'AbortError';
}

/** fetch (undici) failed below HTTP: refused, reset, closed mid-response, DNS. */
export function isNetworkError(error: unknown): boolean {
  if (errorName(error) === undefined || isApiException(error)) return false;
  const e = error as { name: string; message?: unknown; code?: unknown; cause?: { code?: unknown } };
  if (e.name === 'TypeError' && /fetch failed|terminated|other side closed/i.test(String(e.message))) return true;
  const code = e.code ?? e.cause?.code;
  return typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|UND_ERR_)/.test(code);
}

/** One line for logs and reports: never the request body or headers (they may hold tokens). */
export function describeError(error: unknown): string {
  const s = statusOf(error);
  if (s !== undefined) return `HTTP ${s.code}${s.reason === '' ? '' : ` ${s.reason}`}: ${s.message}`;
  if (isTimeout(error)) return 'request timed out';
  if (errorName(error) !== undefined) {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const detail = cause === undefined ? '' : ` (${String(cause.code ?? cause.message ?? '')})`;
    return `${String((error as { message?: unknown }).message)}${detail}`;
  }
  return String(error);
}
