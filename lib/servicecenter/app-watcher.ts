// The watch of one (appId, environment): its own consumer service, a batch find of
// every provider name (so the registry sends their events), one WebSocket with
// ping/pong liveness, reconnects with capped exponential backoff and full jitter, and
// after each reconnect: re-register if needed, re-find, and "resync needed".
//
// One consumer per environment too, not only per app: with X-ConsumerId the server
// finds providers in the *consumer's* environment, whatever the find key says.
import WebSocket, { type RawData } from 'ws';
import type { Logger } from '../log.ts';
import { WatchEventSchema, type MicroServiceInstance } from '../model/registry.ts';
import { toValidationError } from '../model/validation.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { ErrorCodes } from './errors.ts';
import type { RegistryClient } from './registry-client.ts';
import type { ResyncReason, WatchClientEvent } from './watch-events.ts';

export interface WatchCounters {
  /** every data frame received on any watch socket */
  framesReceived: number;
  /** frames that were not a valid event (not JSON, wrong shape, binary) */
  malformedFrames: number;
  /** empty text frames */
  emptyFrames: number;
  /** instance events passed to listeners */
  instanceEvents: number;
  /** reconnects scheduled after a socket was lost or could not be opened */
  reconnects: number;
  /** consumer services registered (first time or again) */
  consumerRegistrations: number;
  /** resync-needed events */
  resyncs: number;
  /** failed listings (the previous view is kept: unknown is not empty) */
  listErrors: number;
  /** failed batch finds */
  findErrors: number;
}

export function newCounters(): WatchCounters {
  return { framesReceived: 0, malformedFrames: 0, emptyFrames: 0, instanceEvents: 0, reconnects: 0, consumerRegistrations: 0, resyncs: 0, listErrors: 0, findErrors: 0 };
}

export interface AppWatcherOptions {
  registry: RegistryClient;
  appId: string;
  environment: string;
  consumerServiceName: string;
  consumerVersion: string;
  pingIntervalMs: number;
  connectTimeoutMs: number;
  reconnect: BackoffOptions;
  revCheck: boolean;
  counters: WatchCounters;
  emit: (event: WatchClientEvent) => void;
  logger: Logger;
  random: () => number;
  signal: AbortSignal;
}

interface Provider {
  /** rev of the last find answer ('' before the first) */
  rev: string;
  /** instanceId → instance, every version of this name */
  instances: Map<string, MicroServiceInstance>;
}

const CONSUMER_GONE = 'service does not exist';

export class AppWatcher {
  readonly appId: string;
  readonly environment: string;
  readonly #o: AppWatcherOptions;
  readonly #log: Logger;
  readonly #providers = new Map<string, Provider>();
  #consumerId: string | undefined;
  /** when the current consumer id became known (a listing older than that cannot judge it) */
  #consumerKnownAt = 0;
  #ws: WebSocket | undefined;
  /** a socket still in its handshake (stop() must cut it too) */
  #handshaking: WebSocket | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #awaitingPong = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #connecting = false;
  #connectedOnce = false;
  #pendingReason: ResyncReason = 'reconnected';
  #stopped = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: AppWatcherOptions) {
    this.#o = options;
    this.appId = options.appId;
    this.environment = options.environment;
    this.#log = options.logger.child({ appId: options.appId, environment: options.environment });
  }

  get consumerId(): string | undefined {
    return this.#consumerId;
  }

  get connected(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  /** instanceId → instance of every watched provider name */
  instances(): Iterable<MicroServiceInstance> {
    return [...this.#providers.values()].flatMap((p) => [...p.instances.values()]);
  }

  /** First connect; resolves after the first attempt, whether it worked or not. */
  start(providerNames: Iterable<string>): Promise<void> {
    for (const name of providerNames) this.#providers.set(name, { rev: '', instances: new Map() });
    return this.#enqueue(() => this.#connect());
  }

  /**
   * Called on every listing: new provider names are found (a new version of a known name
   * needs nothing), vanished ones dropped; a consumer missing from the listing is
   * registered again; and, with revCheck, a find with the last revs reports drift.
   */
  sync(providerNames: ReadonlySet<string>, listing: { serviceIds: ReadonlySet<string>; startedAt: number }): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#stopped) return;
      for (const name of [...this.#providers.keys()]) if (!providerNames.has(name)) this.#providers.delete(name);
      const added: string[] = [];
      for (const name of providerNames) {
        if (!this.#providers.has(name)) {
          this.#providers.set(name, { rev: '', instances: new Map() });
          added.push(name);
        }
      }
      const id = this.#consumerId;
      if (id !== undefined && !listing.serviceIds.has(id) && listing.startedAt > this.#consumerKnownAt) {
        // the registry keeps a deleted consumer's socket open: we must notice it ourselves
        this.#log.warn({ consumerId: id }, 'watch consumer service is gone; registering it again');
        this.#consumerLost();
        return;
      }
      if (!this.connected || this.#connecting) return;
      const names = this.#o.revCheck ? [...this.#providers.keys()] : added;
      try {
        const drift = await this.#find(names, added);
        if (drift) this.#resync('missed-events');
      } catch (error) {
        this.#o.counters.findErrors++;
        this.#log.warn({ err: error }, 'batch find failed; will retry on the next listing');
      }
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#pingTimer);
    this.#handshaking?.terminate();
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws !== undefined) await closeGracefully(ws);
  }

  // ------------------------------------------------------------------ connecting

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    this.#connecting = true;
    try {
      await this.#connectOnce();
    } catch (error) {
      if (this.#stopped) return;
      this.#log.warn({ err: error, attempt: this.#attempt }, 'watch connect failed');
      const ws = this.#ws;
      this.#ws = undefined;
      clearInterval(this.#pingTimer);
      ws?.terminate();
      this.#scheduleReconnect();
    } finally {
      this.#connecting = false;
    }
  }

  async #connectOnce(): Promise<void> {
    const { registry } = this.#o;
    if (this.#consumerId === undefined) {
      const key = { appId: this.appId, serviceName: this.#o.consumerServiceName, version: this.#o.consumerVersion, environment: this.environment };
      const signal = this.#o.signal;
      let id = await registry.serviceExists(key, { signal });
      if (id === undefined) {
        id = await registry.registerService({ ...key, description: 'sc2mesh watcher: consumer of every provider of this app, to receive its instance events' }, { signal });
        this.#o.counters.consumerRegistrations++;
        this.#log.info({ consumerId: id }, 'registered watch consumer service');
      }
      this.#consumerId = id;
      this.#consumerKnownAt = Date.now();
    }
    await this.#openSocket(this.#consumerId);
    await this.#find([...this.#providers.keys()], [...this.#providers.keys()]);
    if (!this.connected) throw new Error('watch socket closed while it was being set up');
    this.#attempt = 0;
    if (this.#connectedOnce) this.#resync(this.#pendingReason);
    this.#connectedOnce = true;
    this.#pendingReason = 'reconnected';
  }

  async #openSocket(consumerId: string): Promise<void> {
    const { registry } = this.#o;
    const address = registry.http.pool.current();
    const url = `${address.replace(/^http/, 'ws')}/v4/${encodeURIComponent(registry.project)}/registry/microservices/${encodeURIComponent(consumerId)}/watcher`;
    const headers = await registry.http.authHeaders(this.#o.signal);
    if (this.#stopped) throw new Error('watch client stopped');
    const tls = registry.http.tls;
    const ws = new WebSocket(url, {
      headers,
      handshakeTimeout: this.#o.connectTimeoutMs,
      rejectUnauthorized: tls.rejectUnauthorized !== false,
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
      ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    });
    ws.on('message', (data, isBinary) => this.#onFrame(ws, data, isBinary));
    // always listened to: ws emits 'error' (e.g. when a refused handshake is cut) and an
    // unheard 'error' would crash the process
    ws.on('error', (error) => this.#log.debug({ err: error }, 'watch socket error'));
    this.#handshaking = ws;
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (error: Error): void => {
          cleanup();
          reject(error);
        };
        const onOpen = (): void => {
          cleanup();
          resolve();
        };
        const onResponse = (_req: unknown, res: { statusCode?: number; resume(): void }): void => {
          res.resume();
          if (res.statusCode === 401) registry.http.invalidateToken(headers['authorization']?.slice('Bearer '.length));
          fail(new Error(`watch upgrade refused: HTTP ${res.statusCode ?? '?'}`));
          ws.terminate();
        };
        const onClose = (code: number): void => fail(new Error(`watch socket closed during handshake (${code})`));
        const cleanup = (): void => {
          ws.off('open', onOpen);
          ws.off('error', fail);
          ws.off('unexpected-response', onResponse);
          ws.off('close', onClose);
        };
        ws.on('open', onOpen);
        ws.on('error', fail);
        ws.on('unexpected-response', onResponse);
        ws.on('close', onClose);
      });
    } catch (error) {
      if (!this.#stopped && !(error instanceof Error && error.message.startsWith('watch upgrade refused'))) registry.http.pool.failure(address);
      throw error;
    } finally {
      this.#handshaking = undefined;
    }
    if (this.#stopped) {
      ws.terminate();
      throw new Error('watch client stopped');
    }
    registry.http.pool.success(address);
    ws.on('close', (code) => this.#onClose(ws, code));
    ws.on('pong', () => {
      this.#awaitingPong = false;
    });
    this.#ws = ws;
    this.#awaitingPong = false;
    clearInterval(this.#pingTimer);
    // Our own pings make the server stop its pings and keep its read deadline moving;
    // a missing pong within one interval means the connection is dead.
    this.#pingTimer = setInterval(() => {
      if (this.#awaitingPong) {
        this.#log.warn('watch socket: no pong, dropping it');
        ws.terminate();
        return;
      }
      this.#awaitingPong = true;
      ws.ping();
    }, this.#o.pingIntervalMs);
    this.#log.debug({ url }, 'watch socket open');
  }

  #onClose(ws: WebSocket, code: number): void {
    if (ws !== this.#ws) return;
    this.#ws = undefined;
    clearInterval(this.#pingTimer);
    if (this.#stopped) return;
    this.#log.info({ code }, 'watch socket closed');
    if (!this.#connecting) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnectTimer !== undefined) return;
    this.#o.counters.reconnects++;
    const delay = backoffDelay(this.#attempt++, this.#o.reconnect, this.#o.random);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#enqueue(() => this.#connect());
    }, delay);
  }

  #consumerLost(): void {
    this.#consumerId = undefined;
    this.#pendingReason = 'consumer-missing';
    for (const p of this.#providers.values()) p.rev = '';
    const ws = this.#ws;
    this.#ws = undefined;
    clearInterval(this.#pingTimer);
    ws?.terminate();
    if (!this.#connecting) {
      this.#attempt = 0;
      this.#scheduleReconnect();
    }
  }

  #resync(reason: ResyncReason): void {
    this.#o.counters.resyncs++;
    this.#o.emit({ type: 'resync-needed', appId: this.appId, environment: this.environment, reason });
  }

  // ------------------------------------------------------------------ finding

  /**
   * Batch-finds these names (with their last revs) and replaces each updated name's
   * instances. Returns whether an already-found name came back different from what the
   * events had built (events were missed). `fresh` names are not judged.
   */
  async #find(names: string[], fresh: readonly string[]): Promise<boolean> {
    const consumerId = this.#consumerId;
    if (names.length === 0 || consumerId === undefined) return false;
    const isFresh = new Set(fresh);
    const keys = names.map((serviceName) => ({ appId: this.appId, serviceName, environment: this.environment, rev: this.#providers.get(serviceName)?.rev ?? '' }));
    const result = await this.#o.registry.findInstances(consumerId, keys, { signal: this.#o.signal });
    let drift = false;
    for (const u of result.updated) {
      const name = names[u.index] as string;
      const provider = this.#providers.get(name);
      if (provider === undefined) continue;
      const next = new Map(u.instances.map((i) => [i.instanceId, i]));
      if (!isFresh.has(name) && !sameInstances(provider.instances, next)) drift = true;
      provider.instances = next;
      provider.rev = u.rev;
    }
    for (const f of result.failed) {
      for (const index of f.indexes) {
        const provider = this.#providers.get(names[index] as string);
        if (provider === undefined) continue;
        // gone between the listing and the find: forget it until a listing shows it again
        if (f.error.errorCode === ErrorCodes.serviceNotExists) {
          provider.instances = new Map();
          provider.rev = '';
        }
        this.#log.debug({ serviceName: names[index], errorCode: f.error.errorCode, errorMessage: f.error.errorMessage }, 'find failed for one provider');
      }
    }
    return drift;
  }

  // ------------------------------------------------------------------ events

  #onFrame(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (this.#stopped) return;
    const counters = this.#o.counters;
    counters.framesReceived++;
    this.#awaitingPong = false;
    if (isBinary) {
      counters.malformedFrames++;
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
    if (text.trim() === '') {
      counters.emptyFrames++;
      return;
    }
    if (text.trim().toLowerCase() === CONSUMER_GONE) {
      if (ws === this.#ws || this.#connecting) {
        this.#log.warn({ consumerId: this.#consumerId }, 'registry says the watch consumer does not exist');
        this.#consumerLost();
      }
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      counters.malformedFrames++;
      this.#log.debug({ frame: text.slice(0, 80) }, 'watch frame is not JSON; skipped');
      return;
    }
    const parsed = WatchEventSchema.safeParse(raw);
    if (!parsed.success) {
      counters.malformedFrames++;
      this.#log.debug({ reason: toValidationError(parsed.error, raw, 'event').message }, 'watch frame is not an event; skipped');
      return;
    }
    const { action, key, instance } = parsed.data;
    const provider = this.#providers.get(key.serviceName);
    if (provider !== undefined) {
      if (action === 'DELETE') provider.instances.delete(instance.instanceId);
      else provider.instances.set(instance.instanceId, instance);
    }
    counters.instanceEvents++;
    this.#o.emit({
      type: action === 'CREATE' ? 'instance-created' : action === 'UPDATE' ? 'instance-updated' : 'instance-deleted',
      appId: key.appId,
      serviceName: key.serviceName,
      version: key.version,
      environment: key.environment ?? this.environment,
      serviceId: instance.serviceId ?? '',
      instance,
    });
  }
}

function sameInstances(a: ReadonlyMap<string, MicroServiceInstance>, b: ReadonlyMap<string, MicroServiceInstance>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, instance] of a) {
    const other = b.get(id);
    if (other === undefined || JSON.stringify(other) !== JSON.stringify(instance)) return false;
  }
  return true;
}

/** A close frame, then at most a second for the server's answer before the socket is cut. */
function closeGracefully(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, 1_000);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1000, 'watcher stopping');
  });
}
