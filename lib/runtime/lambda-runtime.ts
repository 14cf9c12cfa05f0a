// The runtime of one Lambda container: built on the first invocation from the function's
// environment and kept for the next ones (clients, connections and token caches survive
// between invocations, as Lambda intends).
import { configFromLambdaEnv, type Sc2meshConfig } from '../config/index.ts';
import type { WorkQueue } from '../queue/work-queue.ts';
import { buildRuntime, createQueue, queueUrlOf, type Runtime } from './build-runtime.ts';
import { accountOfArn } from './lambda-events.ts';

export interface LambdaRuntime extends Runtime {
  queue: WorkQueue;
}

let cached: Promise<LambdaRuntime> | undefined;

async function build(invokedFunctionArn: string | undefined): Promise<LambdaRuntime> {
  const config: Sc2meshConfig = await configFromLambdaEnv(process.env);
  if (config.state.table === '') throw new Error('SC2MESH_STATE_TABLE is required in Lambda (no embedded state there)');
  const runtime = await buildRuntime(config);
  // The queue's own region; the table's where only that is set (one region is the norm).
  const region = config.queue.region || config.state.region || process.env['AWS_REGION'] || 'us-east-1';
  const sqs = createQueue(config, queueUrlOf(config, region, accountOfArn(invokedFunctionArn)));
  return {
    ...runtime,
    queue: sqs.queue,
    async close() {
      sqs.close();
      await runtime.close();
    },
  };
}

export function lambdaRuntime(invokedFunctionArn: string | undefined): Promise<LambdaRuntime> {
  cached ??= build(invokedFunctionArn).catch((error: unknown) => {
    cached = undefined; // a bad start is retried on the next invocation
    throw error;
  });
  return cached;
}
