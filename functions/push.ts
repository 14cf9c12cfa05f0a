// SQS batch → debounced push (partial batch failures reported, so one bad message never blocks the others).
import middy from '@middy/core';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { parsePushEvent } from '../lib/runtime/lambda-events.ts';
import { lambdaRuntime } from '../lib/runtime/lambda-runtime.ts';
import { handlePushBatch } from '../lib/pipeline/push-batch.ts';
import { PipelineMetrics } from '../lib/pipeline/metrics.ts';
import { addPipelineFigures, createEmfMetrics } from '../lib/metrics/emf.ts';

const emf = createEmfMetrics('push');

export const handler = middy(async (event: unknown, context: Context): Promise<SQSBatchResponse> => {
  // This invocation's figures only: the runtime outlives it, and so would its counters.
  const metrics = new PipelineMetrics();
  try {
    const records = parsePushEvent(event);
    const rt = await lambdaRuntime(context.invokedFunctionArn);
    const deps = { ...rt, metrics, debounce: rt.config.debounce, concurrency: rt.config.kube.concurrency, remainingMs: () => context.getRemainingTimeInMillis() };
    const report = await handlePushBatch(records, deps, context.awsRequestId);
    rt.logger.info(
      { correlationId: context.awsRequestId, decision: report.decision, pushed: report.pushed.length, requeued: report.requeued.length, invalid: report.invalid, metrics: metrics.snapshot() },
      'push batch done',
    );
    return { batchItemFailures: report.batchItemFailures };
  } finally {
    // Also when the batch threw: a failed invocation still says what it did before failing.
    addPipelineFigures(emf, metrics);
  }
}).use(logMetrics(emf));
