// Optional RBAC: POST /v4/token trades a name and password for a bearer token; every
// other call must carry a live one, else 401 (errorCode 401002).
import { randomBytes } from 'node:crypto';
import type { Clock } from '../time/clock.ts';

export interface AuthOptions {
  /** name → password */
  users: Record<string, string>;
  /** token lifetime (default 30 min) */
  tokenTtlMs?: number;
}

export class TokenAuthority {
  readonly #users: Record<string, string>;
  readonly #ttlMs: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #tokens = new Map<string, number>();
  logins = 0;

  constructor(options: AuthOptions, clock: Pick<Clock, 'now'>) {
    this.#users = options.users;
    this.#ttlMs = options.tokenTtlMs ?? 30 * 60_000;
    this.#clock = clock;
  }

  login(name: unknown, password: unknown): string | undefined {
    if (typeof name !== 'string' || typeof password !== 'string') return undefined;
    if (!Object.hasOwn(this.#users, name) || this.#users[name] !== password) return undefined;
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, this.#clock.now() + this.#ttlMs);
    this.logins++;
    return token;
  }

  /** Whether an Authorization header value carries a live token. */
  verify(header: string | undefined): boolean {
    if (header === undefined || !header.startsWith('Bearer ')) return false;
    const expiresAt = this.#tokens.get(header.slice('Bearer '.length));
    return expiresAt !== undefined && this.#clock.now() < expiresAt;
  }

  /** Every issued token stops working (as if they all expired). */
  expireAll(): void {
    this.#tokens.clear();
  }
}
