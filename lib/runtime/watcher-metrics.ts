// /metrics of the watcher container: the pipeline counters it shares with every host
// (watch_events), the watch client's own counters, what it sent to the queue, and gauges
// of its sockets and of the keys it holds.
import type { WatchCounters } from '../servicecenter/index.ts';
import type { PipelineMetrics } from '../pipeline/metrics.ts';

/** What the watcher itself counts. */
export interface WatcherCounts {
  /** queue messages sent (watch batches and resyncs) */
  messagesSent: number;
  /** sends that failed (their keys are kept and tried again) */
  sendErrors: number;
  /** resync-needed events answered */
  resyncs: number;
  /** resyncs whose listing or send failed (left to the per-minute sync) */
  resyncErrors: number;
}

export interface WatcherGauges {
  socketsOpen: number;
  apps: number;
  /** keys held by the batcher, not yet on the queue */
  pendingKeys: number;
  /** what the watch holds between listings: watched services, and instances fingerprinted */
  servicesHeld: number;
  instancesHeld: number;
}

export function newWatcherCounts(): WatcherCounts {
  return { messagesSent: 0, sendErrors: 0, resyncs: 0, resyncErrors: 0 };
}

const WATCH_HELP: Record<keyof WatchCounters, [string, string]> = {
  framesReceived: ['watch_frames_received', 'data frames received on watch sockets'],
  malformedFrames: ['watch_frames_malformed', 'watch frames that were not a valid event'],
  emptyFrames: ['watch_frames_empty', 'empty watch frames'],
  instanceEvents: ['watch_instance_events', 'instance events received'],
  reconnects: ['watch_reconnects', 'watch socket reconnects scheduled'],
  consumerRegistrations: ['watch_consumer_registrations', 'watch consumer services registered'],
  resyncs: ['watch_resyncs_needed', 'times events may have been lost (reconnect, consumer lost, revision gap)'],
  listErrors: ['watch_list_errors', 'failed service listings'],
  findErrors: ['watch_find_errors', 'failed batch finds'],
};

const COUNT_HELP: Record<keyof WatcherCounts, [string, string]> = {
  messagesSent: ['watcher_messages_sent', 'queue messages sent'],
  sendErrors: ['watcher_send_errors', 'queue sends that failed (keys kept and retried)'],
  resyncs: ['watcher_resyncs', 'resync-needed events answered with the keys of the app'],
  resyncErrors: ['watcher_resync_errors', 'resyncs that failed (left to the per-minute sync)'],
};

function counterLines(name: string, help: string, value: number): string[] {
  return [`# HELP sc2mesh_${name}_total ${help}`, `# TYPE sc2mesh_${name}_total counter`, `sc2mesh_${name}_total ${value}`];
}

/** Prometheus text: the pipeline metrics with the gauges, then the watch and watcher counters. */
export function watcherMetricsText(pipeline: PipelineMetrics, watch: Readonly<WatchCounters>, counts: Readonly<WatcherCounts>, gauges: WatcherGauges): string {
  const lines: string[] = [];
  for (const key of Object.keys(WATCH_HELP) as (keyof WatchCounters)[]) {
    const [name, help] = WATCH_HELP[key];
    lines.push(...counterLines(name, help, watch[key]));
  }
  for (const key of Object.keys(COUNT_HELP) as (keyof WatcherCounts)[]) {
    const [name, help] = COUNT_HELP[key];
    lines.push(...counterLines(name, help, counts[key]));
  }
  const base = pipeline.toPrometheus({
    watch_sockets_open: gauges.socketsOpen,
    watch_apps: gauges.apps,
    watcher_pending_keys: gauges.pendingKeys,
    watch_services_held: gauges.servicesHeld,
    watch_instances_held: gauges.instancesHeld,
  });
  return `${base}${lines.join('\n')}\n`;
}
