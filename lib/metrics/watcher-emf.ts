// The watcher's CloudWatch metrics. It is a long-running container, not a Lambda, so
// there is no invocation to publish at the end of: it publishes on an interval, each line
// holding that interval's deltas of its cumulative counters (the same counters /metrics
// serves to Prometheus), its gauges, and a heartbeat. A missing heartbeat is the one signal
// that needs no process to send it, which is why the "watcher gone" alarm watches it.
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { createEmfMetrics, METRIC, type EmfOptions } from './emf.ts';

export const DEFAULT_WATCHER_EMF_INTERVAL_MS = 60_000;

/** What the interval reads from the watcher (lib/runtime/watcher-service.ts's Watcher fits). */
export interface WatcherFigures {
  metrics: { get(name: 'watch_events'): number };
  watch: {
    counters(): { readonly reconnects: number; readonly listErrors: number };
    consumers(): readonly { readonly connected: boolean }[];
  };
  pendingKeys(): number;
}

export interface WatcherEmfOptions extends EmfOptions {
  intervalMs?: number;
  /** replaces the Powertools instance (tests) */
  emf?: Metrics;
}

export interface WatcherEmf {
  /** publishes the figures since the last line now */
  publish(): void;
  /** stops the interval and publishes what is left of it, so a stop loses no count */
  stop(): void;
}

export function startWatcherEmf(watcher: WatcherFigures, options: WatcherEmfOptions = {}): WatcherEmf {
  const emf = options.emf ?? createEmfMetrics('watcher', options);
  const read = (): { events: number; reconnects: number; listErrors: number } => {
    const counters = watcher.watch.counters();
    return { events: watcher.metrics.get('watch_events'), reconnects: counters.reconnects, listErrors: counters.listErrors };
  };
  let last = read();
  const publish = (): void => {
    const now = read();
    emf.addMetric(METRIC.watcherHeartbeat, MetricUnit.Count, 1);
    emf.addMetric(METRIC.watchEvents, MetricUnit.Count, now.events - last.events);
    emf.addMetric(METRIC.watcherReconnects, MetricUnit.Count, now.reconnects - last.reconnects);
    emf.addMetric(METRIC.watchListErrors, MetricUnit.Count, now.listErrors - last.listErrors);
    emf.addMetric(METRIC.watchSocketsOpen, MetricUnit.Count, watcher.watch.consumers().filter((s) => s.connected).length);
    emf.addMetric(METRIC.watcherPendingKeys, MetricUnit.Count, watcher.pendingKeys());
    last = now;
    emf.publishStoredMetrics();
  };
  const timer = setInterval(publish, options.intervalMs ?? DEFAULT_WATCHER_EMF_INTERVAL_MS);
  // The watch sockets keep the process alive; this timer alone must not.
  timer.unref();
  let stopped = false;
  return {
    publish,
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      publish();
    },
  };
}
