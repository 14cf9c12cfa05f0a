// CloudWatch metrics in the Embedded Metric Format: a JSON line on stdout that CloudWatch
// Logs turns into metrics, so publishing needs no PutMetricData call, no IAM permission and
// no AWS access at all (`serverless invoke local` prints the same line). Powertools Metrics
// writes the lines; this module decides the names, units and dimensions, in one place,
// because the alarms and the dashboard in serverless.yml name them exactly.
//
// One line per Lambda invocation holding that invocation's own figures (the runtime and its
// counters outlive an invocation, so the functions hand the pipeline a fresh
// PipelineMetrics each time), and for the watcher one line per interval holding that
// interval's deltas (lib/metrics/watcher-emf.ts).
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CounterName, PipelineMetrics } from '../pipeline/metrics.ts';

/** Which part published a figure: the `source` dimension. */
export type MetricSource = 'push' | 'sync' | 'resync' | 'watcher';

export const DEFAULT_METRICS_NAMESPACE = 'sc2mesh';
/** Read by Powertools itself too; serverless.yml sets it from the metricsNamespace param. */
export const NAMESPACE_ENV = 'POWERTOOLS_METRICS_NAMESPACE';
// Not SC2MESH_*: the configuration rejects SC2MESH_ variables it does not know, and the
// stage is a deployment fact, not pipeline configuration.
export const STAGE_ENV = 'METRICS_STAGE';
export const DEFAULT_STAGE = 'local';

/**
 * Every pipeline counter a function publishes, zeros included: an alarm on a metric that
 * is only written when non-zero cannot tell "nothing happened" from "nothing ran".
 * (watch_events is the watcher's, published by it.)
 */
export const FUNCTION_COUNTERS: Readonly<Record<Exclude<CounterName, 'watch_events'>, string>> = {
  objects_applied: 'ObjectsApplied',
  objects_deleted: 'ObjectsDeleted',
  objects_unchanged: 'ObjectsUnchanged',
  services_pushed: 'ServicesPushed',
  services_skipped: 'ServicesSkipped',
  instances_skipped: 'InstancesSkipped',
  services_failed: 'ServicesFailed',
  services_removed: 'ServicesRemoved',
  conflicts: 'Conflicts',
  drift_repaired: 'DriftRepaired',
  syncs: 'Syncs',
  sync_dirty_services: 'SyncDirtyServices',
  registry_unavailable: 'RegistryUnavailable',
  governance_unavailable: 'GovernanceUnavailable',
  deletions_refused: 'DeletionsRefused',
  messages_invalid: 'MessagesInvalid',
};

export const METRIC = {
  /** first event of a debounce cycle → objects written, one value per push */
  pushLatency: 'PushLatency',
  /** age of the oldest event in the messages of one push batch */
  queueAge: 'QueueAge',
  syncDuration: 'SyncDuration',
  /** 1 when the sync read the registry and compared it with state (outcome ok), else 0 */
  syncSucceeded: 'SyncSucceeded',
  resyncDuration: 'ResyncDuration',
  /** 1 per watcher interval: its absence is what "the watcher is gone" looks like */
  watcherHeartbeat: 'WatcherHeartbeat',
  watchEvents: 'WatchEvents',
  watcherReconnects: 'WatcherReconnects',
  watchListErrors: 'WatchListErrors',
  watchSocketsOpen: 'WatchSocketsOpen',
  watcherPendingKeys: 'WatcherPendingKeys',
} as const;

export interface EmfOptions {
  env?: NodeJS.ProcessEnv;
}

export function createEmfMetrics(source: MetricSource, options: EmfOptions = {}): Metrics {
  const env = options.env ?? process.env;
  const metrics = new Metrics({ namespace: nonEmpty(env[NAMESPACE_ENV]) ?? DEFAULT_METRICS_NAMESPACE });
  // Powertools adds a `service` dimension of its own. Each distinct dimension set is a
  // separate CloudWatch metric, and the alarms name exactly {stage, source}.
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ stage: nonEmpty(env[STAGE_ENV]) ?? DEFAULT_STAGE, source });
  return metrics;
}

/** A function invocation's pipeline figures: every counter, each push latency, the queue age. */
export function addPipelineFigures(emf: Metrics, figures: PipelineMetrics): void {
  for (const [counter, name] of Object.entries(FUNCTION_COUNTERS) as [keyof typeof FUNCTION_COUNTERS, string][]) {
    emf.addMetric(name, MetricUnit.Count, figures.get(counter));
  }
  // One value each (EMF carries arrays), so p99 in CloudWatch is over pushes, not invocations.
  for (const ms of figures.pushLatencyMs) emf.addMetric(METRIC.pushLatency, MetricUnit.Milliseconds, ms);
  if (figures.queueAgeObserved) emf.addMetric(METRIC.queueAge, MetricUnit.Milliseconds, figures.lastQueueAgeMs);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
