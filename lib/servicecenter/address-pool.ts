// The registry addresses of one client, each behind its own circuit breaker. The last
// address that answered is tried first (sticky), so a healthy secondary keeps serving
// after a failover instead of every call paying for the dead primary. When every breaker
// is open, an open address may be probed (circuit-breaker.ts says why).
import { CircuitBreaker, DEFAULT_BREAKER, type BreakerState, type CircuitBreakerOptions } from './circuit-breaker.ts';

export interface AddressState {
  address: string;
  state: BreakerState;
  consecutiveFailures: number;
}

/** `http(s)://host:port` without a trailing slash; anything else is refused. */
export function normaliseAddress(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`registry address: not a URL (got ${JSON.stringify(raw)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`registry address: expected http:// or https:// (got ${JSON.stringify(raw)})`);
  }
  if (url.search !== '' || url.hash !== '') throw new Error(`registry address: must not carry a query or fragment (got ${JSON.stringify(raw)})`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export class AddressPool {
  readonly addresses: readonly string[];
  readonly #breakers: Map<string, CircuitBreaker>;
  #preferred = 0;

  constructor(addresses: readonly string[], breaker: Partial<CircuitBreakerOptions> = {}) {
    if (addresses.length === 0) throw new Error('registry addresses: at least one is needed');
    this.addresses = [...new Set(addresses.map(normaliseAddress))];
    this.#breakers = new Map(this.addresses.map((a) => [a, new CircuitBreaker({ ...DEFAULT_BREAKER, ...breaker })]));
  }

  /** Addresses in the order they should be tried: the preferred one first, then the rest in turn. */
  #ordered(): string[] {
    const n = this.addresses.length;
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.addresses[(this.#preferred + i) % n] as string);
    return out;
  }

  /**
   * Takes the first address not in `exclude` whose breaker lets a request through
   * (taking the half-open trial slot when it is one), or undefined when none does.
   */
  acquire(exclude: ReadonlySet<string> = new Set()): string | undefined {
    const ordered = this.#ordered();
    for (const address of ordered) {
      if (exclude.has(address)) continue;
      if (this.#breaker(address).tryAcquire()) return address;
    }
    // No address takes calls, so there is nowhere to fail over: a probe of an open one, at
    // the breakers' probe cadence, is the only way to see the registry is back before
    // the whole cool-down has passed.
    if (this.hasAvailable()) return undefined;
    for (const address of ordered) {
      if (exclude.has(address)) continue;
      if (this.#breaker(address).tryProbe()) return address;
    }
    return undefined;
  }

  /** Whether some address outside `exclude` would accept a request now. */
  hasAvailable(exclude: ReadonlySet<string> = new Set()): boolean {
    return this.#ordered().some((a) => !exclude.has(a) && this.#breaker(a).isAvailable());
  }

  /** The address a long-lived connection (the watch socket) should use now. */
  current(): string {
    return this.#ordered().find((a) => this.#breaker(a).isAvailable()) ?? (this.addresses[this.#preferred] as string);
  }

  success(address: string): void {
    this.#breaker(address).onSuccess();
    this.#preferred = this.addresses.indexOf(address);
  }

  failure(address: string): void {
    this.#breaker(address).onFailure();
    if (this.addresses[this.#preferred] === address) this.#preferred = (this.#preferred + 1) % this.addresses.length;
  }

  release(address: string): void {
    this.#breaker(address).release();
  }

  states(): AddressState[] {
    return this.addresses.map((address) => {
      const b = this.#breaker(address);
      return { address, state: b.state, consecutiveFailures: b.consecutiveFailures };
    });
  }

  #breaker(address: string): CircuitBreaker {
    const b = this.#breakers.get(address);
    if (b === undefined) throw new Error(`unknown registry address ${address}`);
    return b;
  }
}
