// metav1.Status bodies, worded the way kube-apiserver words them, so a client's error
// handling is exercised against the real shapes (reason, code, details.causes).
import type { ResourceType } from './resources.ts';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An error the server answers with a Status body. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: StatusBody;
  readonly headers: Record<string, string>;
  constructor(status: StatusBody, headers: Record<string, string> = {}) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.status = status;
    this.headers = headers;
  }
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details === undefined ? {} : { details }), code };
}

const qualified = (rt: ResourceType) => `${rt.plural}.${rt.group}`;

export const statusErrors = {
  notFound: (rt: ResourceType, name: string) =>
    new ApiError(failure(404, 'NotFound', `${qualified(rt)} "${name}" not found`, { name, group: rt.group, kind: rt.plural })),
  noRoute: () => new ApiError(failure(404, 'NotFound', 'the server could not find the requested resource', {})),
  alreadyExists: (rt: ResourceType, name: string) =>
    new ApiError(failure(409, 'AlreadyExists', `${qualified(rt)} "${name}" already exists`, { name, group: rt.group, kind: rt.plural })),
  /** An optimistic-concurrency failure: stale resourceVersion or failed precondition. */
  conflict: (rt: ResourceType, name: string, detail = 'the object has been modified; please apply your changes to the latest version and try again') =>
    new ApiError(failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(rt)} "${name}": ${detail}`, { name, group: rt.group, kind: rt.plural })),
  fieldManagerConflict: (conflicts: readonly { manager: string; field: string }[], apiVersion: string) => {
    const n = conflicts.length;
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.field]);
    const parts = [...byManager].map(([manager, fields]) =>
      fields.length === 1
        ? `conflict with "${manager}" using ${apiVersion}: ${fields[0]}`
        : `conflicts with "${manager}" using ${apiVersion}:\n${fields.map((f) => `- ${f}`).join('\n')}`,
    );
    return new ApiError(
      failure(409, 'Conflict', `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${parts.join('\n')}`, {
        causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${apiVersion}`, field: c.field })),
      }),
    );
  },
  invalid: (rt: ResourceType, name: string, causes: readonly { field: string; reason: string; message: string }[]) => {
    const lines = causes.map((c) => c.message);
    const summary = lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`;
    return new ApiError(
      failure(422, 'Invalid', `${rt.kind}.${rt.group} "${name}" is invalid: ${summary}`, {
        name,
        group: rt.group,
        kind: rt.kind,
        causes: causes.map((c) => {
          const prefix = `${c.field}: `;
          return { reason: c.reason, message: c.message.startsWith(prefix) ? c.message.slice(prefix.length) : c.message, field: c.field };
        }),
      }),
    );
  },
  badRequest: (message: string) => new ApiError(failure(400, 'BadRequest', message)),
  unauthorized: () => new ApiError(failure(401, 'Unauthorized', 'Unauthorized')),
  methodNotAllowed: (method: string) => new ApiError(failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`, {})),
  unsupportedMediaType: (contentType: string) =>
    new ApiError(failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/apply-patch+yaml, application/merge-patch+json (got ${JSON.stringify(contentType)})`)),
  notAcceptable: (accept: string) => new ApiError(failure(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/json;as=PartialObjectMetadata(List);g=meta.k8s.io;v=v1 (got ${JSON.stringify(accept)})`)),
  tooManyRequests: (retryAfterSeconds: number) =>
    new ApiError(failure(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds }), { 'Retry-After': String(retryAfterSeconds) }),
  internal: (message: string) => new ApiError(failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ reason: 'UnexpectedServerResponse', message }] })),
  serverError: (code: number, retryAfterSeconds?: number) => {
    const reason = code === 503 ? 'ServiceUnavailable' : code === 504 ? 'Timeout' : code === 500 ? 'InternalError' : 'BadGateway';
    const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
    return new ApiError(failure(code, reason, `injected fault: HTTP ${code}`, retryAfterSeconds === undefined ? {} : { retryAfterSeconds }), headers);
  },
};

export function successStatus(rt: ResourceType, name: string, uid: string): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: rt.group, kind: rt.plural, uid }, code: 200 };
}
