// A registry error as the server sends it: HTTP status = errorCode / 1000, and the
// code is a JSON string in the body.

export const Codes = {
  invalidParams: 400001,
  serviceAlreadyExists: 400010,
  serviceNotExists: 400012,
  deployedInstance: 400013,
  instanceNotExists: 400017,
  dependedOnConsumer: 400023,
  serviceVersionNotExists: 400026,
  unauthorized: 401002,
  internal: 500003,
  unavailableBackend: 500011,
} as const;

export class SimError extends Error {
  override readonly name = 'SimError';
  readonly code: number;
  readonly detail: string | undefined;
  constructor(code: number, message: string, detail?: string) {
    super(message);
    this.code = code;
    this.detail = detail;
  }

  get status(): number {
    return Math.floor(this.code / 1000);
  }

  toBody(): { errorCode: string; errorMessage: string; detail?: string } {
    return this.detail === undefined
      ? { errorCode: String(this.code), errorMessage: this.message }
      : { errorCode: String(this.code), errorMessage: this.message, detail: this.detail };
  }
}
