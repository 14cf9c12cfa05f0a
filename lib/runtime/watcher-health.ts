// What /healthz of the watcher container means. The orchestrator restarts a container
// whose health check fails, so "unhealthy" must mean "restarting could help": no watch
// socket has ever opened, or none has been open for longer than a grace period (a
// registry restart or a network blip is ridden out by the watch client's reconnects).
// With nothing to watch (no provider registered), the watcher is healthy as long as the
// listing that would find providers keeps working.
import type { Health } from '../server/ops-server.ts';

export interface WatchSocketSample {
  appId: string;
  environment: string;
  connected: boolean;
}

/** What the watch client shows at one moment. */
export interface WatchSample {
  /** the first listing (and its connects) has been attempted */
  started: boolean;
  /** one per watched (appId, environment) */
  sockets: readonly WatchSocketSample[];
  /** the watch client's count of failed listings, since it started */
  listErrors: number;
}

export type WatcherStatus = 'starting' | 'connecting' | 'watching' | 'idle' | 'reconnecting' | 'disconnected';

export interface WatcherHealthOptions {
  /** how long "no open socket" (or a failing listing with nothing to watch) is tolerated; default 60 s */
  graceMs?: number;
}

export interface WatcherHealth {
  /** Records a sample taken at `now` and answers the health it implies. Call it often (e.g. every second). */
  check(sample: WatchSample, now: number): Health;
}

export const DEFAULT_HEALTH_GRACE_MS = 60_000;

/** At most this many disconnected apps are named on /healthz. */
const MAX_NAMED = 20;

export function createWatcherHealth(options: WatcherHealthOptions = {}): WatcherHealth {
  const graceMs = options.graceMs ?? DEFAULT_HEALTH_GRACE_MS;
  let everUp = false;
  let downSince: number | undefined;
  let listErrors = 0;
  let lastListErrorAt: number | undefined;

  return {
    check(sample, now) {
      if (sample.listErrors > listErrors) lastListErrorAt = now;
      listErrors = sample.listErrors;
      const open = sample.sockets.filter((s) => s.connected).length;
      const apps = sample.sockets.length;
      const listingFailing = lastListErrorAt !== undefined && now - lastListErrorAt <= graceMs;
      const up = sample.started && (open > 0 || (apps === 0 && !listingFailing));
      if (up) {
        everUp = true;
        downSince = undefined;
      } else if (sample.started && downSince === undefined) {
        downSince = now;
      }
      const downForMs = downSince === undefined ? 0 : now - downSince;

      let status: WatcherStatus;
      if (!sample.started) status = 'starting';
      else if (up) status = apps === 0 ? 'idle' : 'watching';
      else if (!everUp) status = 'connecting';
      else if (downForMs <= graceMs) status = 'reconnecting';
      else status = 'disconnected';
      const ok = status === 'watching' || status === 'idle' || status === 'reconnecting';

      const disconnected = sample.sockets.filter((s) => !s.connected).map((s) => (s.environment === '' ? s.appId : `${s.appId} (${s.environment})`));
      return {
        ok,
        details: {
          status,
          apps,
          socketsOpen: open,
          downForMs,
          listErrors,
          ...(disconnected.length === 0 ? {} : { disconnected: disconnected.slice(0, MAX_NAMED) }),
        },
      };
    },
  };
}
