// A "resync needed" from the watch client means events of one app may have been lost (the
// socket was down, the consumer vanished, a revision check found a gap). The watcher
// answers it with the keys of every service of that app, taken from a fresh listing: the
// push re-reads each of them, so whatever was missed converges. Requests are coalesced so
// that a registry restart (every socket reconnecting) costs a listing or two, not one per app. Services gone from the
// registry meanwhile are not in the listing; the watch client's own listing reports them
// as removed, and the per-minute sync catches anything left.
import type { MicroService } from '../model/registry.ts';
import { serviceKeyOf } from '../names/service-names.ts';
import { partsOf } from '../render/service-group.ts';

/**
 * The service keys (every version folds into one key) of one (appId, environment) in a
 * listing, sorted, skipping what the watcher never publishes (`isWatched` false: the
 * registry's own entries, the watcher's consumer services).
 */
export function keysOfApp(services: readonly MicroService[], appId: string, environment: string, isWatched: (service: MicroService) => boolean): string[] {
  const keys = new Set<string>();
  for (const service of services) {
    const parts = partsOf(service);
    if (parts.appId !== appId || parts.environment !== environment || !isWatched(service)) continue;
    keys.add(serviceKeyOf(parts));
  }
  return [...keys].sort();
}

export interface AppRef {
  appId: string;
  environment: string;
}

export interface ResyncCoalescer {
  /** this app's events may have been lost: send the keys of all its services */
  request(app: AppRef): void;
  /** resolves when no resync is waiting or running */
  idle(): Promise<void>;
}

export interface ResyncCoalescerOptions {
  /** every service of the registry (a fresh listing) */
  list: () => Promise<readonly MicroService[]>;
  isWatched: (service: MicroService) => boolean;
  /** the keys of every app served by one listing, sorted */
  send: (keys: string[], apps: readonly AppRef[]) => Promise<void>;
  /** listing or sending failed for these apps; the per-minute sync is the fallback */
  onError: (error: unknown, apps: readonly AppRef[]) => void;
}

/**
 * Serves resync requests with as few listings as possible: a registry restart makes every
 * app's socket reconnect within seconds, and one listing per app would be a storm of full
 * listings. Requests arriving while a listing runs are served together by the next one
 * (which starts after them, so it sees what they need).
 */
export function createResyncCoalescer(options: ResyncCoalescerOptions): ResyncCoalescer {
  const waiting = new Map<string, AppRef>();
  let running: Promise<void> | undefined;

  const drain = async (): Promise<void> => {
    while (waiting.size > 0) {
      const apps = [...waiting.values()];
      waiting.clear();
      try {
        const listing = await options.list();
        const keys = new Set<string>();
        for (const app of apps) for (const k of keysOfApp(listing, app.appId, app.environment, options.isWatched)) keys.add(k);
        if (keys.size > 0) await options.send([...keys].sort(), apps);
      } catch (error) {
        options.onError(error, apps);
      }
    }
  };

  return {
    request(app) {
      waiting.set(`${app.environment}\u0000${app.appId}`, { appId: app.appId, environment: app.environment });
      // a microtask later, so requests made in the same turn share the first listing
      running ??= Promise.resolve()
        .then(drain)
        .finally(() => {
          running = undefined;
        });
    },
    idle: () => running ?? Promise.resolve(),
  };
}
