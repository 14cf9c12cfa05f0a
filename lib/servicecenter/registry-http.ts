// The resilient request path of every registry call: token login and re-login on 401,
// per-address circuit breakers with failover, timeouts, and retries with capped
// exponential backoff and full jitter on network errors, timeouts and 5xx only.
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { RegistryErrorBodySchema } from '../model/registry.ts';
import { parseOrThrow } from '../model/validation.ts';
import { AddressPool } from './address-pool.ts';
import { backoffDelay, sleep, type BackoffOptions } from '../retry/backoff.ts';
import type { CircuitBreakerOptions } from './circuit-breaker.ts';
import { RegistryError, RegistryUnavailableError, TransportError } from './errors.ts';
import { NodeHttpTransport, type HttpResponse, type HttpTransport, type TlsOptions } from './http-transport.ts';

export interface Credentials {
  name: string;
  password: string;
}

export interface RetryOptions extends BackoffOptions {
  /** attempts per call, failovers included (default 4) */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 4, baseMs: 100, maxMs: 5_000 };

export interface RegistryConnectionOptions {
  /** one or more `http(s)://host:port` base URLs of the same registry cluster */
  addresses: readonly string[];
  /** `X-Domain-Name` (default "default") */
  domain?: string;
  /** the `{project}` path segment (default "default") */
  project?: string;
  /** RBAC login; without it no token is sent */
  credentials?: Credentials;
  tls?: TlsOptions;
  /** per attempt (default 10 000 ms) */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  breaker?: Partial<Omit<CircuitBreakerOptions, 'clock'>>;
  transport?: HttpTransport;
  logger?: Logger;
  /** injectable jitter source */
  random?: () => number;
}

export interface RegistryRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** absolute path, e.g. /v4/default/registry/microservices */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** false: resend only when the request certainly never reached a server */
  idempotent: boolean;
  signal?: AbortSignal;
  /** send no Authorization header (the login itself) */
  anonymous?: boolean;
}

export interface RegistryAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** parsed JSON body; undefined for an empty body */
  json: unknown;
  address: string;
}

const TokenResponseSchema = z.looseObject({ token: z.string().min(1) });

/** Where and how a long-lived connection (the watch socket) connects now. */
export interface ConnectionTarget {
  /** `http(s)://host:port` of the address the calls would use now */
  readonly address: string;
  /** the domain header and, with RBAC, the bearer token (never log them) */
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: Readonly<TlsOptions>;
  /** the token the headers carry, so a refusal drops that token and not a newer one */
  readonly token: string | undefined;
}

/** How a long-lived connection went: `refused` means the server answered the upgrade with an HTTP status. */
export type ConnectionOutcome = { kind: 'open' } | { kind: 'unreachable' } | { kind: 'refused'; status: number };

export class RegistryHttp {
  /** the addresses and their breakers; read it for their states, calls go through request() */
  readonly pool: AddressPool;
  readonly domain: string;
  readonly project: string;
  readonly #tls: TlsOptions;
  readonly #credentials: Credentials | undefined;
  readonly #timeoutMs: number;
  readonly #retry: RetryOptions;
  readonly #transport: HttpTransport;
  readonly #ownsTransport: boolean;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #closed = new AbortController();
  #token: string | undefined;
  #login: Promise<string> | undefined;

  constructor(options: RegistryConnectionOptions) {
    this.pool = new AddressPool(options.addresses, options.breaker);
    this.domain = options.domain ?? 'default';
    this.project = options.project ?? 'default';
    this.#tls = options.tls ?? {};
    this.#credentials = options.credentials;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    if (!(this.#retry.maxAttempts >= 1)) throw new Error(`retry.maxAttempts: expected >= 1 (got ${this.#retry.maxAttempts})`);
    this.#ownsTransport = options.transport === undefined;
    this.#transport = options.transport ?? new NodeHttpTransport(this.#tls);
    this.#logger = options.logger ?? silentLogger;
    this.#random = options.random ?? Math.random;
  }

  /** Headers every call carries, logging in first when RBAC is on. */
  async #authHeaders(signal?: AbortSignal): Promise<{ headers: Record<string, string>; token: string | undefined }> {
    const headers: Record<string, string> = { 'x-domain-name': this.domain };
    if (this.#credentials === undefined) return { headers, token: undefined };
    const token = await this.#ensureToken(signal);
    headers['authorization'] = `Bearer ${token}`;
    return { headers, token };
  }

  /** The address calls would use now, with the TLS settings and headers to reach it (logging in first when RBAC is on). */
  async connectionTarget(signal?: AbortSignal): Promise<ConnectionTarget> {
    const address = this.pool.current();
    const { headers, token } = await this.#authHeaders(signal);
    return { address, headers, tls: this.#tls, token };
  }

  /**
   * Tells the breakers how a long-lived connection to `target` went, as a call's outcome
   * would: an open socket proves the address answers, an unreachable one counts as a
   * failure, a refusal is the server's answer (a 401 drops the token it was sent).
   */
  reportConnection(target: ConnectionTarget, outcome: ConnectionOutcome): void {
    if (outcome.kind === 'open') this.pool.success(target.address);
    else if (outcome.kind === 'unreachable') this.pool.failure(target.address);
    else if (outcome.status === 401) this.invalidateToken(target.token);
  }

  /** Forget a token the registry refused (a 401), so the next call logs in again. */
  invalidateToken(token?: string): void {
    if (token === undefined || token === this.#token) this.#token = undefined;
  }

  get hasCredentials(): boolean {
    return this.#credentials !== undefined;
  }

  async request(request: RegistryRequest): Promise<RegistryAnswer> {
    const signal = request.signal === undefined ? this.#closed.signal : AbortSignal.any([request.signal, this.#closed.signal]);
    const tried = new Set<string>();
    let attempt = 0;
    let round = 0;
    let reloggedIn = false;
    let lastError: unknown;
    while (attempt < this.#retry.maxAttempts) {
      signal.throwIfAborted();
      const address = this.pool.acquire(tried);
      if (address === undefined) {
        if (tried.size > 0 && this.pool.hasAvailable()) {
          // every address was tried once in this round: back off, then go round again
          tried.clear();
          await sleep(backoffDelay(round++, this.#retry, this.#random), signal);
          continue;
        }
        // every breaker is open: failing fast is the point of having them
        const reason = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
        throw new RegistryUnavailableError(`registry unavailable: every registry address has an open circuit breaker${reason}`, attempt, lastError);
      }
      attempt++;
      tried.add(address);
      let usedToken: string | undefined;
      let response: HttpResponse;
      try {
        const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
        if (request.anonymous === true) headers['x-domain-name'] = this.domain;
        else {
          const auth = await this.#authHeaders(signal);
          Object.assign(headers, auth.headers);
          usedToken = auth.token;
        }
        if (request.body !== undefined) headers['content-type'] = 'application/json';
        const httpRequest = { method: request.method, url: this.#url(address, request), headers, timeoutMs: this.#timeoutMs, signal };
        response = await this.#transport.send(request.body === undefined ? httpRequest : { ...httpRequest, body: JSON.stringify(request.body) });
      } catch (error) {
        if (!(error instanceof TransportError)) {
          this.pool.release(address);
          throw error;
        }
        this.pool.failure(address);
        lastError = error;
        this.#logger.debug({ address, attempt, code: error.code, path: request.path }, 'registry request failed');
        if (!request.idempotent && !error.notSent) break;
        continue;
      }
      if (response.status >= 500) {
        this.pool.failure(address);
        lastError = decodeError(response, request, address);
        this.#logger.debug({ address, attempt, status: response.status, path: request.path }, 'registry answered 5xx');
        if (!request.idempotent) break;
        continue;
      }
      this.pool.success(address);
      if (response.status === 401 && request.anonymous !== true && this.#credentials !== undefined && !reloggedIn) {
        // the token expired: log in again once and resend, without counting an attempt
        reloggedIn = true;
        attempt--;
        tried.delete(address);
        this.invalidateToken(usedToken);
        continue;
      }
      if (response.status >= 400) throw decodeError(response, request, address);
      return { status: response.status, headers: response.headers, json: parseJsonBody(response, request, address), address };
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new RegistryUnavailableError(`registry unavailable after ${attempt} attempt(s): ${reason}`, attempt, lastError);
  }

  close(): void {
    this.#closed.abort(new Error('registry client closed'));
    if (this.#ownsTransport) this.#transport.close();
  }

  #url(address: string, request: RegistryRequest): URL {
    const url = new URL(address + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    return url;
  }

  #ensureToken(signal?: AbortSignal): Promise<string> {
    if (this.#token !== undefined) return Promise.resolve(this.#token);
    if (this.#login === undefined) {
      const credentials = this.#credentials as Credentials;
      // shared by every caller waiting for it, so it is not tied to one caller's signal
      this.#login = this.request({ method: 'POST', path: '/v4/token', body: { name: credentials.name, password: credentials.password }, idempotent: true, anonymous: true })
        .then((answer) => {
          const token = parseOrThrow(TokenResponseSchema, answer.json, 'token response').token;
          this.#token = token;
          return token;
        })
        .finally(() => {
          this.#login = undefined;
        });
    }
    const login = this.#login;
    if (signal === undefined) return login;
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      login.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}

function parseJsonBody(response: HttpResponse, request: RegistryRequest, address: string): unknown {
  if (response.body.trim() === '') return undefined;
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    throw new RegistryError({
      status: response.status,
      method: request.method,
      path: request.path,
      address,
      errorCode: undefined,
      errorMessage: `response is not JSON (got ${JSON.stringify(response.body.slice(0, 80))})`,
      detail: undefined,
    });
  }
}

/** A registry error body when there is one, else the status with the body's start as message. */
export function decodeError(response: HttpResponse, request: RegistryRequest, address: string): RegistryError {
  let errorCode: string | undefined;
  let errorMessage: string | undefined;
  let detail: string | undefined;
  try {
    const parsed = RegistryErrorBodySchema.safeParse(coerceErrorCode(JSON.parse(response.body)));
    if (parsed.success) ({ errorCode, errorMessage, detail } = parsed.data);
    else errorMessage = response.body.slice(0, 200);
  } catch {
    errorMessage = response.body.trim() === '' ? undefined : response.body.slice(0, 200);
  }
  return new RegistryError({ status: response.status, method: request.method, path: request.path, address, errorCode, errorMessage, detail });
}

/** The wire sends errorCode as a string; some proxies and older servers send a number. */
export function coerceErrorCode(body: unknown): unknown {
  if (body !== null && typeof body === 'object' && typeof (body as { errorCode?: unknown }).errorCode === 'number') {
    return { ...body, errorCode: String((body as { errorCode: number }).errorCode) };
  }
  return body;
}
