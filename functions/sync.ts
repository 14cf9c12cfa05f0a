// Scheduled every minute: registry vs state, dirty services enqueued, a slice audited for drift.
import middy from '@middy/core';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { parseSyncEvent } from '../lib/runtime/lambda-events.ts';
import { lambdaRuntime } from '../lib/runtime/lambda-runtime.ts';
import { runScheduledSync } from '../lib/pipeline/scheduled-sync.ts';
import { PipelineMetrics } from '../lib/pipeline/metrics.ts';
import { addPipelineFigures, createEmfMetrics, METRIC } from '../lib/metrics/emf.ts';

const emf = createEmfMetrics('sync');

export const handler = middy(async (event: unknown, context: Context) => {
  const startedAt = Date.now();
  // This invocation's figures only: the runtime outlives it, and so would its counters.
  const metrics = new PipelineMetrics();
  let succeeded = false;
  try {
    parseSyncEvent(event);
    const rt = await lambdaRuntime(context.invokedFunctionArn);
    rt.state.resetMetrics();
    const report = await runScheduledSync({ ...rt, metrics, auditPeriodMinutes: rt.config.audit.periodMinutes }, context.awsRequestId);
    succeeded = report.sync.outcome === 'ok';
    rt.logger.info({ correlationId: context.awsRequestId, metrics: metrics.snapshot(), state: rt.state.metrics }, 'sync metrics');
    return {
      outcome: report.sync.outcome,
      services: report.sync.services,
      dirty: report.sync.dirty.length,
      removed: report.sync.removed.length,
      skipped: report.sync.skipped.length,
      audit: report.audit === undefined ? null : { checked: report.audit.checked, repaired: report.audit.applied, deleted: report.audit.deleted, outcome: report.audit.outcome },
    };
  } finally {
    addPipelineFigures(emf, metrics);
    // Written as 0 on failure too, so "no successful sync" is a sum below 1, not a guess from silence.
    emf.addMetric(METRIC.syncSucceeded, MetricUnit.Count, succeeded ? 1 : 0);
    emf.addMetric(METRIC.syncDuration, MetricUnit.Milliseconds, Date.now() - startedAt);
  }
}).use(logMetrics(emf));
