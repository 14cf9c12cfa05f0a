// What the watch says while the registry cannot be reached. Every app's socket reconnects
// and every listing retries on its own, every second or so; a warning with a stack trace
// for each of them buries the one fact an operator needs. So: one line when the registry
// goes away (naming the address and the cause), then lines at a slowing rate counting the
// failures since the last one, and one line when it answers again.
import type { Logger } from '../log.ts';
import { systemClock, type Clock } from '../time/clock.ts';
import { RegistryError, RegistryUnavailableError, TransportError } from './errors.ts';

export interface OutageLogOptions {
  logger: Logger;
  /** first reminder this long after the first line; each later one waits twice as long (default 30 s) */
  firstRepeatMs?: number;
  /** the longest wait between reminders (default 10 min) */
  maxRepeatMs?: number;
  clock?: Pick<Clock, 'now'>;
}

/** Why a registry operation failed, when the reason is that the registry could not be reached. */
export interface Unreachable {
  /** the address that failed; undefined when the breakers refused the call before it was sent */
  address: string | undefined;
  /** e.g. "ECONNREFUSED", "ETIMEDOUT", "HTTP 503 500011: ..." */
  cause: string;
}

function describeCause(error: unknown): Unreachable | undefined {
  if (error instanceof TransportError) return { address: error.address, cause: error.code ?? error.message };
  if (error instanceof RegistryError && error.status >= 500) {
    const code = error.errorCode === undefined ? '' : ` ${error.errorCode}`;
    const text = error.errorMessage === undefined || error.errorMessage === '' ? '' : `: ${error.errorMessage}`;
    return { address: error.address, cause: `HTTP ${error.status}${code}${text}` };
  }
  return undefined;
}

/**
 * The address and cause of a failure that means "the registry is unreachable" (network
 * errors, timeouts, 5xx, every breaker open), or undefined for any other failure (a 4xx,
 * a malformed answer, a bug), which is logged as an error of its own.
 */
export function unreachableCause(error: unknown): Unreachable | undefined {
  if (error instanceof RegistryUnavailableError) {
    return describeCause(error.cause) ?? { address: undefined, cause: error.cause instanceof Error ? error.cause.message : error.message };
  }
  return describeCause(error);
}

export class OutageLog {
  readonly #logger: Logger;
  readonly #firstRepeatMs: number;
  readonly #maxRepeatMs: number;
  readonly #clock: Pick<Clock, 'now'>;
  #downSince: number | undefined;
  #lastLineAt = 0;
  #nextGapMs = 0;
  #sinceLine = 0;
  #total = 0;
  #last: Unreachable | undefined;

  constructor(options: OutageLogOptions) {
    this.#logger = options.logger;
    this.#firstRepeatMs = options.firstRepeatMs ?? 30_000;
    this.#maxRepeatMs = Math.max(this.#firstRepeatMs, options.maxRepeatMs ?? 600_000);
    this.#clock = options.clock ?? systemClock;
  }

  get down(): boolean {
    return this.#downSince !== undefined;
  }

  /** One operation (`what`: a listing, an app's socket, a find) could not reach the registry. */
  failure(what: string, unreachable: Unreachable): void {
    const now = this.#clock.now();
    // a refusal by the breakers names no address and no network cause: keep those of the
    // failure that opened them
    if (unreachable.address !== undefined || this.#last === undefined) this.#last = unreachable;
    this.#total++;
    if (this.#downSince === undefined) {
      this.#downSince = now;
      this.#lastLineAt = now;
      this.#nextGapMs = this.#firstRepeatMs;
      this.#sinceLine = 0;
      const { address, cause } = this.#last;
      this.#logger.warn({ address, cause, what }, `registry unreachable at ${address ?? '(no address open)'}: ${cause}; retrying, and keeping the last view`);
      return;
    }
    this.#sinceLine++;
    if (now - this.#lastLineAt < this.#nextGapMs) return;
    const { address, cause } = this.#last;
    this.#logger.warn({ address, cause, failures: this.#sinceLine, downForMs: now - this.#downSince }, `registry still unreachable: ${this.#sinceLine} failures since the last report`);
    this.#lastLineAt = now;
    this.#nextGapMs = Math.min(this.#maxRepeatMs, this.#nextGapMs * 2);
    this.#sinceLine = 0;
  }

  /** The registry answered: ends an outage, if there was one. */
  recovered(address?: string): void {
    if (this.#downSince === undefined) return;
    const now = this.#clock.now();
    this.#logger.info(
      { address: address ?? this.#last?.address, downForMs: now - this.#downSince, failures: this.#total },
      `registry reachable again after ${Math.round((now - this.#downSince) / 100) / 10} s`,
    );
    this.#downSince = undefined;
    this.#total = 0;
    this.#sinceLine = 0;
    this.#last = undefined;
  }
}
