// Manual (`serverless invoke -f resync`): full reconcile against what the cluster holds.
import middy from '@middy/core';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { parseResyncEvent } from '../lib/runtime/lambda-events.ts';
import { lambdaRuntime } from '../lib/runtime/lambda-runtime.ts';
import { runResync } from '../lib/pipeline/resync.ts';
import { PipelineMetrics } from '../lib/pipeline/metrics.ts';
import { addPipelineFigures, createEmfMetrics, METRIC } from '../lib/metrics/emf.ts';

const emf = createEmfMetrics('resync');

export const handler = middy(async (event: unknown, context: Context) => {
  const startedAt = Date.now();
  // This invocation's figures only: the runtime outlives it, and so would its counters.
  const metrics = new PipelineMetrics();
  let dryRun = false;
  try {
    const input = parseResyncEvent(event);
    dryRun = input.dryRun === true;
    const rt = await lambdaRuntime(context.invokedFunctionArn);
    return await runResync({ ...rt, metrics }, context.awsRequestId, input);
  } finally {
    // A dry run counts what it would have written; CloudWatch must not see that as written.
    if (!dryRun) addPipelineFigures(emf, metrics);
    emf.addMetric(METRIC.resyncDuration, MetricUnit.Milliseconds, Date.now() - startedAt);
  }
}).use(logMetrics(emf));
