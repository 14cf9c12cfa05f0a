// Manual (`serverless invoke -f resync`): full reconcile against what the cluster holds.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parseResyncEvent } from '../lib/runtime/lambda-events.ts';
import { lambdaRuntime } from '../lib/runtime/lambda-runtime.ts';
import { runResync } from '../lib/pipeline/resync.ts';

export const handler = middy(async (event: unknown, context: Context) => {
  const input = parseResyncEvent(event);
  const rt = await lambdaRuntime(context.invokedFunctionArn);
  return runResync(rt, context.awsRequestId, input);
});
