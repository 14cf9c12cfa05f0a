// Errors a registry call can end with. A RegistryError is the registry's own answer
// (it carries errorCode/errorMessage as sent); the others mean the registry could not
// be reached or answered something that is not the protocol.

export interface RegistryErrorInfo {
  /** the registry's code, e.g. "400012"; undefined when the body held none */
  errorCode: string | undefined;
  errorMessage: string | undefined;
  detail: string | undefined;
}

export class RegistryError extends Error implements RegistryErrorInfo {
  override readonly name = 'RegistryError';
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly detail: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly address: string;

  constructor(init: { status: number; method: string; path: string; address: string } & RegistryErrorInfo) {
    const code = init.errorCode === undefined ? '' : ` ${init.errorCode}`;
    const text = init.errorMessage === undefined || init.errorMessage === '' ? '' : `: ${init.errorMessage}`;
    const detail = init.detail === undefined || init.detail === '' ? '' : ` (${init.detail})`;
    super(`${init.method} ${init.path} at ${init.address}: HTTP ${init.status}${code}${text}${detail}`);
    this.status = init.status;
    this.errorCode = init.errorCode;
    this.errorMessage = init.errorMessage;
    this.detail = init.detail;
    this.method = init.method;
    this.path = init.path;
    this.address = init.address;
  }
}

/** A network error, a timeout or a 5xx on every attempt, or every address's breaker open. */
export class RegistryUnavailableError extends Error {
  override readonly name = 'RegistryUnavailableError';
  readonly attempts: number;
  override readonly cause: unknown;
  constructor(message: string, attempts: number, cause: unknown) {
    super(message);
    this.attempts = attempts;
    this.cause = cause;
  }
}

/** The request never produced an HTTP answer (refused, reset, TLS failure, timeout). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly address: string;
  /** e.g. ECONNREFUSED, ETIMEDOUT, DEPTH_ZERO_SELF_SIGNED_CERT */
  readonly code: string | undefined;
  /** true when the request certainly did not reach the server (safe to resend anything) */
  readonly notSent: boolean;
  override readonly cause: unknown;
  constructor(message: string, address: string, code: string | undefined, notSent: boolean, cause?: unknown) {
    super(message);
    this.address = address;
    this.code = code;
    this.notSent = notSent;
    this.cause = cause;
  }
}

export const ErrorCodes = {
  invalidParams: '400001',
  serviceAlreadyExists: '400010',
  serviceNotExists: '400012',
  deployedInstance: '400013',
  instanceNotExists: '400017',
  serviceVersionNotExists: '400026',
  unauthorized: '401002',
  internal: '500003',
  unavailableBackend: '500011',
} as const;

export function isRegistryError(error: unknown, code?: string): error is RegistryError {
  return error instanceof RegistryError && (code === undefined || error.errorCode === code);
}
