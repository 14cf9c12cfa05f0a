// SQS batch → debounced push (partial batch failures reported, so one bad message never blocks the others).
import middy from '@middy/core';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { parsePushEvent } from '../lib/runtime/lambda-events.ts';
import { lambdaRuntime } from '../lib/runtime/lambda-runtime.ts';
import { handlePushBatch } from '../lib/pipeline/push-batch.ts';

export const handler = middy(async (event: unknown, context: Context): Promise<SQSBatchResponse> => {
  const records = parsePushEvent(event);
  const rt = await lambdaRuntime(context.invokedFunctionArn);
  const report = await handlePushBatch(records, { ...rt, debounce: rt.config.debounce, concurrency: rt.config.kube.concurrency, remainingMs: () => context.getRemainingTimeInMillis() }, context.awsRequestId);
  rt.logger.info(
    { correlationId: context.awsRequestId, decision: report.decision, pushed: report.pushed.length, requeued: report.requeued.length, invalid: report.invalid, metrics: rt.metrics.snapshot() },
    'push batch done',
  );
  return { batchItemFailures: report.batchItemFailures };
});
