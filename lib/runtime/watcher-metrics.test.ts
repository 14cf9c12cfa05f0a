import { describe, it, expect } from '@jest/globals';
import { PipelineMetrics } from '../pipeline/metrics.ts';
import { watcherMetricsText, newWatcherCounts } from './watcher-metrics.ts';

describe('watcher metrics', () => {
  it('serves the pipeline counters, the watch counters, what was sent and the gauges', () => {
    const metrics = new PipelineMetrics();
    metrics.add('watch_events', 7);
    const counts = { ...newWatcherCounts(), messagesSent: 4, sendErrors: 1 };
    const watch = { framesReceived: 9, malformedFrames: 1, emptyFrames: 0, instanceEvents: 7, reconnects: 2, consumerRegistrations: 1, resyncs: 2, listErrors: 0, findErrors: 3 };
    const text = watcherMetricsText(metrics, watch, counts, { socketsOpen: 1, apps: 2, pendingKeys: 5, servicesHeld: 30, instancesHeld: 300 });
    for (const line of [
      'sc2mesh_watch_events_total 7',
      'sc2mesh_watch_frames_received_total 9',
      'sc2mesh_watch_reconnects_total 2',
      'sc2mesh_watch_find_errors_total 3',
      'sc2mesh_watcher_messages_sent_total 4',
      'sc2mesh_watcher_send_errors_total 1',
      'sc2mesh_watch_sockets_open 1',
      'sc2mesh_watch_apps 2',
      'sc2mesh_watcher_pending_keys 5',
      'sc2mesh_watch_services_held 30',
      'sc2mesh_watch_instances_held 300',
      '# TYPE sc2mesh_watcher_messages_sent_total counter',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
    // every sample line is a name and a number
    for (const line of text.trim().split('\n').filter((l) => !l.startsWith('#'))) expect(line).toMatch(/^sc2mesh_[a-z0-9_]+(\{[^}]*\})? -?[0-9.e+]+$/);
  });
});
