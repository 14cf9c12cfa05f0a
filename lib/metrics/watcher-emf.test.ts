// The watcher's EMF lines: an interval's deltas of cumulative counters (which keep serving
// /metrics unchanged), its gauges, and a heartbeat in every line.
import { describe, it, expect } from '@jest/globals';
import { PipelineMetrics } from '../pipeline/metrics.ts';
import { startWatcherEmf, type WatcherFigures } from './watcher-emf.ts';

function fakeWatcher(): WatcherFigures & { counters: { reconnects: number; listErrors: number }; sockets: { connected: boolean }[]; pending: number; pipeline: PipelineMetrics } {
  const pipeline = new PipelineMetrics();
  const fake = {
    pipeline,
    counters: { reconnects: 0, listErrors: 0 },
    sockets: [{ connected: true }, { connected: false }],
    pending: 0,
    metrics: pipeline,
    watch: { counters: () => fake.counters, consumers: () => fake.sockets },
    pendingKeys: () => fake.pending,
  };
  return fake;
}

/** What `run` printed as EMF on stdout. */
function emfOf(run: () => void): Record<string, unknown>[] {
  const original = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    run();
  } finally {
    process.stdout.write = original;
  }
  return out
    .split('\n')
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('watcher EMF', () => {
  const env = { POWERTOOLS_METRICS_NAMESPACE: 'ns-test', METRICS_STAGE: 'prod' };

  it('publishes each interval’s deltas, gauges and a heartbeat, with stage and source only', () => {
    const w = fakeWatcher();
    const emf = startWatcherEmf(w, { env, intervalMs: 3_600_000 });
    try {
      w.pipeline.add('watch_events', 5);
      w.counters.reconnects = 2;
      w.pending = 3;
      const [first] = emfOf(() => emf.publish());
      expect(first).toMatchObject({ stage: 'prod', source: 'watcher', WatcherHeartbeat: 1, WatchEvents: 5, WatcherReconnects: 2, WatchListErrors: 0, WatchSocketsOpen: 1, WatcherPendingKeys: 3 });
      expect((first?.['_aws'] as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] }).CloudWatchMetrics[0]).toMatchObject({ Namespace: 'ns-test', Dimensions: [['stage', 'source']] });

      w.pipeline.add('watch_events', 1);
      const [second] = emfOf(() => emf.publish());
      // 1 event in this interval, not 6; no reconnect since the last line
      expect(second).toMatchObject({ WatcherHeartbeat: 1, WatchEvents: 1, WatcherReconnects: 0 });
      // Prometheus still sees the cumulative count.
      expect(w.pipeline.toPrometheus()).toContain('sc2mesh_watch_events_total 6');

      // a quiet interval still says "alive", with zeros
      const [quiet] = emfOf(() => emf.publish());
      expect(quiet).toMatchObject({ WatcherHeartbeat: 1, WatchEvents: 0 });
    } finally {
      emfOf(() => emf.stop());
    }
  });

  it('publishes on its interval, and what is left of it on stop, once', async () => {
    const w = fakeWatcher();
    let lines: Record<string, unknown>[] = [];
    const original = process.stdout.write;
    let out = '';
    process.stdout.write = ((chunk: string | Uint8Array): boolean => {
      out += String(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      const emf = startWatcherEmf(w, { env, intervalMs: 20 });
      await new Promise((resolve) => setTimeout(resolve, 70));
      w.pipeline.add('watch_events', 4);
      emf.stop();
      emf.stop();
    } finally {
      process.stdout.write = original;
    }
    lines = out
      .split('\n')
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThanOrEqual(2); // a tick at least (timers under load may merge), then the stop
    expect(lines.at(-1)).toMatchObject({ WatcherHeartbeat: 1, WatchEvents: 4 });
    expect(lines.reduce((n, l) => n + (l['WatchEvents'] as number), 0)).toBe(4);
  });
});
