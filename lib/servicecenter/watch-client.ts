// Watches a service-center: lists services every listIntervalMs (the registry has no
// service-level watch) and keeps one AppWatcher per (appId, environment) that receives
// the instance events of that app's providers. Emits typed events (watch-events.ts).
//
//   const watch = new WatchClient({ registry: { addresses: ['http://127.0.0.1:30100'] } });
//   watch.on('instance-updated', (e) => markDirty(e.appId, e.serviceName));
//   watch.on('resync-needed', (e) => relist(e.appId));
//   await watch.start(); ... await watch.stop();
//
// Between listings it keeps per watched service only its key (to report a removal), and
// per app the provider names with their find revs and instance fingerprints
// (provider-revisions.ts): no copy of a listing or of a find answer outlives its tick.
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { MicroService } from '../model/registry.ts';
import { AppWatcher, newCounters, type WatchCounters } from './app-watcher.ts';
import type { BackoffOptions } from '../retry/backoff.ts';
import { createLimiter } from './limiter.ts';
import { OutageLog, unreachableCause, type OutageLogOptions } from './outage-log.ts';
import { RegistryClient, type RegistryClientOptions } from './registry-client.ts';
import { WatchEventEmitter, type WatchClientEvent, type WatchClientEventMap, type WatchEventType } from './watch-events.ts';

export interface WatchClientOptions {
  /** a client to use (the caller closes it), or options to make one (closed on stop) */
  registry: RegistryClient | RegistryClientOptions;
  /** name of the consumer service registered per app (default "sc2mesh-watcher") */
  consumerServiceName?: string;
  /** its version (default "1.0.0") */
  consumerVersion?: string;
  /** how often services are listed (default 5000 ms) */
  listIntervalMs?: number;
  /** client pings on each watch socket; a pong must come before the next (default 15 000 ms) */
  pingIntervalMs?: number;
  /** WebSocket handshake timeout (default 10 000 ms) */
  connectTimeoutMs?: number;
  /** reconnect delays: full jitter under min(maxMs, baseMs·2^n) (default 500 ms, 30 s) */
  reconnect?: Partial<BackoffOptions>;
  /** services never subscribed (in addition to the registry's own and our consumers) */
  skipService?: (service: MicroService) => boolean;
  /** on every listing, batch-find with the last revs and report missed events (default true) */
  revCheck?: boolean;
  /** how often "registry still unreachable" is repeated (default: after 30 s, then twice as long each time, at most 10 min) */
  outageLog?: Pick<OutageLogOptions, 'firstRepeatMs' | 'maxRepeatMs'>;
  logger?: Logger;
  random?: () => number;
}

/** Names a sync tool never subscribes: the registry's own entries. */
export const REGISTRY_SELF_NAMES: ReadonlySet<string> = new Set(['SERVICECENTER', 'SERVICE-CENTER']);

const DEFAULTS = {
  consumerServiceName: 'sc2mesh-watcher',
  consumerVersion: '1.0.0',
  listIntervalMs: 5_000,
  pingIntervalMs: 15_000,
  connectTimeoutMs: 10_000,
  reconnect: { baseMs: 500, maxMs: 30_000 },
};

function groupKey(appId: string, environment: string): string {
  return `${environment}\u0000${appId}`;
}

/**
 * Batch finds in flight at once, over every app: a find answer holds every instance of its
 * app while it is parsed, and all apps of a large registry at once add up to the
 * process's peak memory (the registry answers them about one at a time anyway). Socket
 * handshakes are not limited, so a hanging upgrade delays no other app.
 */
const FIND_CONCURRENCY = 4;

/** What is kept of a listed service: enough to report its removal. */
interface ServiceRef {
  appId: string;
  serviceName: string;
  version: string;
  environment: string;
}

export class WatchClient {
  readonly registry: RegistryClient;
  readonly #ownsRegistry: boolean;
  readonly #options: Required<Omit<WatchClientOptions, 'registry' | 'skipService' | 'logger' | 'random' | 'reconnect' | 'outageLog'>> & {
    reconnect: BackoffOptions;
    skipService: (service: MicroService) => boolean;
    random: () => number;
  };
  readonly #logger: Logger;
  readonly #emitter: WatchEventEmitter;
  readonly #counters: WatchCounters = newCounters();
  readonly #watchers = new Map<string, AppWatcher>();
  readonly #stop = new AbortController();
  readonly #outage: OutageLog;
  readonly #findSlots = createLimiter(FIND_CONCURRENCY);
  /** serviceId → key of every watched service of the last listing */
  #services = new Map<string, ServiceRef>();
  #listed = false;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #started = false;
  #stopped = false;

  constructor(options: WatchClientOptions) {
    this.#logger = (options.logger ?? silentLogger).child({ component: 'watch-client' });
    if (options.registry instanceof RegistryClient) {
      this.registry = options.registry;
      this.#ownsRegistry = false;
    } else {
      this.registry = new RegistryClient({ logger: options.logger, ...options.registry });
      this.#ownsRegistry = true;
    }
    this.#options = {
      consumerServiceName: options.consumerServiceName ?? DEFAULTS.consumerServiceName,
      consumerVersion: options.consumerVersion ?? DEFAULTS.consumerVersion,
      listIntervalMs: options.listIntervalMs ?? DEFAULTS.listIntervalMs,
      pingIntervalMs: options.pingIntervalMs ?? DEFAULTS.pingIntervalMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      reconnect: { ...DEFAULTS.reconnect, ...options.reconnect },
      skipService: options.skipService ?? (() => false),
      revCheck: options.revCheck ?? true,
      random: options.random ?? Math.random,
    };
    for (const [name, value] of Object.entries({ listIntervalMs: this.#options.listIntervalMs, pingIntervalMs: this.#options.pingIntervalMs })) {
      if (!(value > 0)) throw new Error(`${name}: expected a positive number of ms (got ${value})`);
    }
    this.#emitter = new WatchEventEmitter(this.#logger);
    this.#outage = new OutageLog({ logger: this.#logger, ...options.outageLog });
  }

  on<K extends WatchEventType>(type: K, listener: (event: WatchClientEventMap[K]) => void): () => void {
    return this.#emitter.on(type, listener);
  }

  onAny(listener: (event: WatchClientEvent) => void): () => void {
    return this.#emitter.onAny(listener);
  }

  /** Lists, finds and opens the sockets once, then keeps going on its own. */
  async start(): Promise<void> {
    if (this.#started) throw new Error('watch client already started');
    this.#started = true;
    await this.refresh();
  }

  /** Runs one listing now (the timer's next run is pushed back by a full interval). */
  refresh(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#tick ??= this.#runTick()
      .catch((error: unknown) => {
        // a bug, not a registry failure (those are handled inside): keep the loop alive
        this.#logger.error({ err: error }, 'watch listing failed unexpectedly');
      })
      .finally(() => {
        this.#tick = undefined;
        this.#schedule();
      });
    return this.#tick;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#stop.abort(new Error('watch client stopped'));
    await Promise.all([...this.#watchers.values()].map((w) => w.stop()));
    this.#watchers.clear();
    await this.#tick?.catch(() => undefined);
    if (this.#ownsRegistry) this.registry.close();
  }

  counters(): Readonly<WatchCounters> {
    return { ...this.#counters };
  }

  /** What is held between listings: watched services, and instances fingerprinted over every app. */
  held(): { services: number; instances: number } {
    let instances = 0;
    for (const w of this.#watchers.values()) instances += w.instanceCount;
    return { services: this.#services.size, instances };
  }

  /** The consumer serviceId of each watched (appId, environment). */
  consumers(): { appId: string; environment: string; consumerId: string | undefined; connected: boolean }[] {
    return [...this.#watchers.values()].map((w) => ({ appId: w.appId, environment: w.environment, consumerId: w.consumerId, connected: w.connected }));
  }

  isWatched(service: MicroService): boolean {
    return !REGISTRY_SELF_NAMES.has(service.serviceName) && service.serviceName !== this.#options.consumerServiceName && !this.#options.skipService(service);
  }

  #schedule(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refresh(), this.#options.listIntervalMs);
  }

  async #runTick(): Promise<void> {
    const startedAt = Date.now();
    let listing: MicroService[];
    try {
      listing = await this.registry.listServices({ signal: this.#stop.signal });
    } catch (error) {
      if (this.#stopped) return;
      // unknown is not empty: keep the previous view, report nothing as removed
      this.#counters.listErrors++;
      const unreachable = unreachableCause(error);
      if (unreachable === undefined) this.#logger.warn({ err: error }, 'listing services failed; keeping the last view');
      else this.#outage.failure('listing', unreachable);
      return;
    }
    if (this.#stopped) return;
    this.#outage.recovered();
    const listed = new Set<string>();
    const watched = new Map<string, ServiceRef>();
    for (const s of listing) {
      listed.add(s.serviceId);
      if (this.isWatched(s)) watched.set(s.serviceId, { appId: s.appId, serviceName: s.serviceName, version: s.version, environment: s.environment ?? '' });
    }
    const previous = this.#services;
    this.#services = watched;
    const report = (type: 'service-added' | 'service-removed', serviceId: string, s: ServiceRef): void => this.#emitter.emit({ type, ...s, serviceId });
    for (const [id, s] of watched) if (!previous.has(id) || !this.#listed) report('service-added', id, s);
    for (const [id, s] of previous) if (!watched.has(id)) report('service-removed', id, s);
    this.#listed = true;

    const groups = new Map<string, { appId: string; environment: string; names: Set<string> }>();
    for (const s of watched.values()) {
      const environment = s.environment;
      const key = groupKey(s.appId, environment);
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { appId: s.appId, environment, names: new Set() }));
      group.names.add(s.serviceName);
    }
    const work: Promise<void>[] = [];
    for (const [key, watcher] of this.#watchers) {
      if (!groups.has(key)) {
        // no provider left in this app: its socket has nothing to carry
        this.#watchers.delete(key);
        work.push(watcher.stop());
      }
    }
    for (const [key, group] of groups) {
      const existing = this.#watchers.get(key);
      if (existing !== undefined) {
        work.push(existing.sync(group.names, { hasService: (id) => listed.has(id), startedAt }));
        continue;
      }
      const watcher = new AppWatcher({
        registry: this.registry,
        appId: group.appId,
        environment: group.environment,
        consumerServiceName: this.#options.consumerServiceName,
        consumerVersion: this.#options.consumerVersion,
        pingIntervalMs: this.#options.pingIntervalMs,
        connectTimeoutMs: this.#options.connectTimeoutMs,
        reconnect: this.#options.reconnect,
        revCheck: this.#options.revCheck,
        counters: this.#counters,
        emit: (event) => this.#emitter.emit(event),
        outage: this.#outage,
        findSlots: this.#findSlots,
        logger: this.#logger,
        random: this.#options.random,
        signal: this.#stop.signal,
      });
      this.#watchers.set(key, watcher);
      work.push(watcher.start(group.names));
    }
    await Promise.all(work);
  }
}
