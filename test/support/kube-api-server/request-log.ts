// Every request the server answered, so tests can assert how much a client wrote: the
// count and the bytes of mutating calls, and which of them were dry runs or faults.

export interface RequestLogEntry {
  seq: number;
  method: string;
  path: string;
  /** the object the request addresses: `path`, or for a create the collection's path and the body's name */
  objectPath: string;
  query: Record<string, string>;
  contentType: string | undefined;
  accept: string | undefined;
  userAgent: string | undefined;
  /** -1: the connection was reset instead of answered */
  status: number;
  requestBytes: number;
  responseBytes: number;
  /** POST, PUT, PATCH or DELETE, whether or not it succeeded */
  mutating: boolean;
  dryRun: boolean;
  /** the injected fault, if any: `429`, `503`, `reset`, `latency` … */
  fault: string | undefined;
  durationMs: number;
  /** epoch ms at which the request arrived (performance.timeOrigin + now) */
  arrivedAt: number;
}

export interface RequestLogSummary {
  requests: number;
  /** mutating requests that were not dry runs */
  mutating: number;
  /** body bytes of those requests */
  mutatingBytes: number;
  dryRuns: number;
  faults: number;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isMutatingMethod(method: string): boolean {
  return MUTATING.has(method);
}

export class RequestLog {
  #entries: RequestLogEntry[] = [];
  #seq = 0;

  get entries(): readonly RequestLogEntry[] {
    return this.#entries;
  }

  add(entry: Omit<RequestLogEntry, 'seq'>): void {
    this.#entries.push({ ...entry, seq: ++this.#seq });
  }

  clear(): void {
    this.#entries = [];
  }

  /** Mutating requests that could have written (not dry runs), including failed ones. */
  mutating(): RequestLogEntry[] {
    return this.#entries.filter((e) => e.mutating && !e.dryRun);
  }

  summary(): RequestLogSummary {
    const writes = this.mutating();
    return {
      requests: this.#entries.length,
      mutating: writes.length,
      mutatingBytes: writes.reduce((n, e) => n + e.requestBytes, 0),
      dryRuns: this.#entries.filter((e) => e.dryRun).length,
      faults: this.#entries.filter((e) => e.fault !== undefined && e.fault !== 'latency').length,
    };
  }
}
