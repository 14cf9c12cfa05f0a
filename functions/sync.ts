// Scheduled every minute: registry vs state, dirty services enqueued, a slice audited for drift.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parseSyncEvent } from '../lib/runtime/lambda-events.ts';
import { lambdaRuntime } from '../lib/runtime/lambda-runtime.ts';
import { runScheduledSync } from '../lib/pipeline/scheduled-sync.ts';

export const handler = middy(async (event: unknown, context: Context) => {
  parseSyncEvent(event);
  const rt = await lambdaRuntime(context.invokedFunctionArn);
  const report = await runScheduledSync({ ...rt, auditPeriodMinutes: rt.config.audit.periodMinutes }, context.awsRequestId);
  rt.logger.info({ correlationId: context.awsRequestId, metrics: rt.metrics.snapshot(), state: rt.state.metrics }, 'sync metrics');
  return {
    outcome: report.sync.outcome,
    services: report.sync.services,
    dirty: report.sync.dirty.length,
    removed: report.sync.removed.length,
    skipped: report.sync.skipped.length,
    audit: report.audit === undefined ? null : { checked: report.audit.checked, repaired: report.audit.applied, deleted: report.audit.deleted, outcome: report.audit.outcome },
  };
});
