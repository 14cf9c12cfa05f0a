// One push Lambda container for the scale bench: the real handler (functions/push.ts,
// configured from SC2MESH_* as in Lambda) fed by the SQS event source mapping stand-in
// (test/support/e2e/lambda-sqs-loop.ts) against the SQS fake. One container, so one
// invocation at a time; alone in its process, so its heap and RSS are the handler's.
import type { Context, SQSEvent } from 'aws-lambda';
import { handler } from '../../functions/push.ts';
import { createLambdaSqsLoop, type SqsLambdaHandler } from '../../test/support/e2e/lambda-sqs-loop.ts';
import { epochMs, memoryFigures, serveRpc } from './rpc.ts';

interface InvocationRecord {
  at: number;
  ms: number;
  records: number;
  rssMb: number;
  heapUsedMb: number;
  failures: number;
  error?: string;
}

const invocations: InvocationRecord[] = [];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const timed: SqsLambdaHandler = async (event: SQSEvent, context: Context) => {
  const started = epochMs();
  const record: InvocationRecord = { at: started, ms: 0, records: event.Records.length, rssMb: 0, heapUsedMb: 0, failures: 0 };
  try {
    const response = await handler(event, context);
    record.failures = response.batchItemFailures.length;
    return response;
  } catch (error) {
    record.error = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    record.ms = epochMs() - started;
    const m = process.memoryUsage();
    record.rssMb = m.rss / 1024 / 1024;
    record.heapUsedMb = m.heapUsed / 1024 / 1024;
    if (invocations.length < 10_000) invocations.push(record);
  }
};

const endpoint = process.env['SC2MESH_QUEUE_ENDPOINT'] ?? '';
const queueUrl = process.env['SC2MESH_QUEUE_URL'] ?? '';
const loop = createLambdaSqsLoop({
  endpoint,
  queueUrl,
  region: process.env['AWS_REGION'] ?? 'us-east-1',
  handler: timed,
  batchSize: 10,
  visibilityTimeoutSeconds: Number(process.env['BENCH_VISIBILITY_TIMEOUT_S'] ?? '30'),
  // serverless.yml gives the push function 120 s.
  functionTimeoutMs: 120_000,
});

let stopping = false;
let polls = 0;
let pollErrors = 0;
// The event source mapping long-polls and invokes as soon as a message is visible; a
// receive every 20 ms when the queue is empty comes close without loading the machine.
const polling = (async () => {
  while (!stopping) {
    let handled = 0;
    try {
      handled = await loop.pollOnce();
      polls++;
    } catch {
      pollErrors++;
    }
    if (handled === 0) await sleep(20);
  }
})();

serveRpc({
  stats: (raw) => {
    const from = (raw as { from?: number }).from ?? 0;
    return { invocations: invocations.slice(from), invocationCount: invocations.length, polls, pollErrors };
  },
  memory: () => memoryFigures(),
  async stop() {
    stopping = true;
    await polling;
    loop.close();
    setImmediate(() => process.exit(0));
    return true;
  },
});
