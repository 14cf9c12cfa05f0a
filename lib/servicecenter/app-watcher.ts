// The watch of one (appId, environment): its own consumer service, a batch find of
// every provider name (so the registry sends their events), one WebSocket, reconnects
// with capped exponential backoff and full jitter, and after each reconnect: re-register
// if needed, re-find, and "resync needed". The phases live beside it: the socket and its
// pings (watch-socket.ts), frame decoding (watch-frame.ts), finds and revision checks
// (provider-revisions.ts), and what is logged while the registry is down (outage-log.ts).
//
// One consumer per environment too, not only per app: with X-ConsumerId the server
// finds providers in the *consumer's* environment, whatever the find key says.
import type { Logger } from '../log.ts';
import { backoffDelay, type BackoffOptions } from '../retry/backoff.ts';
import type { Limiter } from './limiter.ts';
import type { OutageLog } from './outage-log.ts';
import { unreachableCause } from './outage-log.ts';
import { ProviderRevisions } from './provider-revisions.ts';
import type { RegistryClient } from './registry-client.ts';
import { decodeFrame, type FramePayload } from './watch-frame.ts';
import type { ResyncReason, WatchClientEvent } from './watch-events.ts';
import { WatchSocket, WatchUpgradeRefusedError } from './watch-socket.ts';

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
  /** shared by every app of the client: one account of a registry outage, not one per app */
  outage: OutageLog;
  /** shared by every app of the client: bounds the finds in flight at once */
  findSlots: Limiter;
  logger: Logger;
  random: () => number;
  signal: AbortSignal;
}

export class AppWatcher {
  readonly appId: string;
  readonly environment: string;
  readonly #o: AppWatcherOptions;
  readonly #log: Logger;
  readonly #providers = new ProviderRevisions();
  /** aborted by stop(), or by the client's own stop */
  readonly #stop = new AbortController();
  readonly #signal: AbortSignal;
  #consumerId: string | undefined;
  /** when the current consumer id became known (a listing older than that cannot judge it) */
  #consumerKnownAt = 0;
  #socket: WatchSocket | undefined;
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
    this.#signal = AbortSignal.any([options.signal, this.#stop.signal]);
  }

  get consumerId(): string | undefined {
    return this.#consumerId;
  }

  get connected(): boolean {
    return this.#socket?.open === true;
  }

  /** Instances whose fingerprints are held, over every provider name. */
  get instanceCount(): number {
    return this.#providers.instanceCount;
  }

  /** First connect; resolves after the first attempt, whether it worked or not. */
  start(providerNames: Iterable<string>): Promise<void> {
    this.#providers.setNames(providerNames);
    return this.#enqueue(() => this.#connect());
  }

  /**
   * Called on every listing: new provider names are found (a new version of a known name
   * needs nothing), vanished ones dropped; a consumer missing from the listing is
   * registered again; and, with revCheck, a find with the last revs reports drift.
   */
  sync(providerNames: ReadonlySet<string>, listing: { hasService: (serviceId: string) => boolean; startedAt: number }): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#stopped) return;
      const added = this.#providers.setNames(providerNames);
      const id = this.#consumerId;
      if (id !== undefined && !listing.hasService(id) && listing.startedAt > this.#consumerKnownAt) {
        // the registry keeps a deleted consumer's socket open: we must notice it ourselves
        this.#log.warn({ consumerId: id }, 'watch consumer service is gone; registering it again');
        this.#consumerLost();
        return;
      }
      if (!this.connected || this.#connecting) return;
      const names = this.#o.revCheck ? this.#providers.names() : added;
      try {
        const drift = await this.#find(names, added);
        if (drift) this.#resync('missed-events');
      } catch (error) {
        if (this.#stopped) return;
        this.#o.counters.findErrors++;
        this.#reportFailure('batch find', error, 'batch find failed; will retry on the next listing');
      }
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stop.abort(new Error('watch stopped'));
    clearTimeout(this.#reconnectTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) await socket.close();
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
      this.#reportFailure('watch connect', error, 'watch connect failed', { attempt: this.#attempt });
      this.#dropSocket();
      this.#scheduleReconnect();
    } finally {
      this.#connecting = false;
    }
  }

  async #connectOnce(): Promise<void> {
    const { registry } = this.#o;
    if (this.#consumerId === undefined) {
      const key = { appId: this.appId, serviceName: this.#o.consumerServiceName, version: this.#o.consumerVersion, environment: this.environment };
      const signal = this.#signal;
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
    const names = this.#providers.names();
    await this.#find(names, names);
    if (!this.connected) throw new Error('watch socket closed while it was being set up');
    this.#attempt = 0;
    if (this.#connectedOnce) this.#resync(this.#pendingReason);
    this.#connectedOnce = true;
    this.#pendingReason = 'reconnected';
  }

  async #openSocket(consumerId: string): Promise<void> {
    const { registry } = this.#o;
    const target = await registry.http.connectionTarget(this.#signal);
    const path = `/v4/${encodeURIComponent(registry.project)}/registry/microservices/${encodeURIComponent(consumerId)}/watcher`;
    let socket: WatchSocket;
    try {
      socket = await WatchSocket.open(
        {
          target,
          path,
          handshakeTimeoutMs: this.#o.connectTimeoutMs,
          pingIntervalMs: this.#o.pingIntervalMs,
          onFrame: (s, data, isBinary) => this.#onFrame(s, data, isBinary),
          onClose: (s, code) => this.#onClose(s, code),
          logger: this.#log,
        },
        this.#signal,
      );
    } catch (error) {
      if (!this.#stopped) registry.http.reportConnection(target, error instanceof WatchUpgradeRefusedError ? { kind: 'refused', status: error.status } : { kind: 'unreachable' });
      throw error;
    }
    if (this.#stopped) {
      socket.terminate();
      throw new Error('watch client stopped');
    }
    registry.http.reportConnection(target, { kind: 'open' });
    this.#o.outage.recovered(target.address);
    this.#socket = socket;
    this.#log.debug({ url: socket.url }, 'watch socket open');
  }

  /** Forgets the current socket and cuts it (its close is then not reported as a loss). */
  #dropSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.terminate();
  }

  #onClose(socket: WatchSocket, code: number): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
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
    this.#providers.forgetRevs();
    this.#dropSocket();
    if (!this.#connecting) {
      this.#attempt = 0;
      this.#scheduleReconnect();
    }
  }

  #resync(reason: ResyncReason): void {
    this.#o.counters.resyncs++;
    this.#o.emit({ type: 'resync-needed', appId: this.appId, environment: this.environment, reason });
  }

  /**
   * A registry that cannot be reached is one account for the whole client (outage-log.ts);
   * anything else is unexpected and logged with its stack.
   */
  #reportFailure(what: string, error: unknown, message: string, extra: Record<string, unknown> = {}): void {
    const unreachable = unreachableCause(error);
    if (unreachable === undefined) {
      this.#log.warn({ err: error, ...extra }, message);
      return;
    }
    this.#o.outage.failure(what, unreachable);
    this.#log.debug({ ...unreachable, ...extra }, message);
  }

  // ------------------------------------------------------------------ finding

  /**
   * Batch-finds these names (with their last revs). Returns whether an already-found name
   * came back different from what the events had built (events were missed). `fresh`
   * names are not judged.
   */
  async #find(names: readonly string[], fresh: readonly string[]): Promise<boolean> {
    const consumerId = this.#consumerId;
    if (names.length === 0 || consumerId === undefined) return false;
    const keys = this.#providers.findKeys(names, this.appId, this.environment);
    const result = await this.#o.findSlots(() => this.#o.registry.findInstances(consumerId, keys, { signal: this.#signal }));
    this.#o.outage.recovered();
    const outcome = this.#providers.applyFind(names, new Set(fresh), result);
    for (const f of outcome.failed) this.#log.debug(f, 'find failed for one provider');
    return outcome.drift;
  }

  // ------------------------------------------------------------------ events

  #onFrame(socket: WatchSocket, data: FramePayload, isBinary: boolean): void {
    if (this.#stopped) return;
    const counters = this.#o.counters;
    counters.framesReceived++;
    const frame = decodeFrame(data, isBinary);
    switch (frame.kind) {
      case 'empty':
        counters.emptyFrames++;
        return;
      case 'malformed':
        counters.malformedFrames++;
        this.#log.debug({ reason: frame.reason }, 'watch frame skipped');
        return;
      case 'consumer-gone':
        if (socket === this.#socket || this.#connecting) {
          this.#log.warn({ consumerId: this.#consumerId }, 'registry says the watch consumer does not exist');
          this.#consumerLost();
        }
        return;
      case 'event':
        break;
    }
    const { action, key, instance } = frame.event;
    this.#providers.applyEvent(action, key.serviceName, instance);
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
