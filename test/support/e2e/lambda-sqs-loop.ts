// A small stand-in for Lambda's SQS event source mapping, for end-to-end tests: it
// receives visible messages (so DelaySeconds is respected: a delayed tick waits), hands
// them to a handler as a real SQS event with a Lambda context, and deletes every record
// the handler did not report in batchItemFailures. A handler that throws deletes nothing;
// its messages come back after the visibility timeout, as on AWS.
import { randomUUID } from 'node:crypto';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ACCOUNT_ID } from '../sqs-fake/server.ts';

export type SqsLambdaHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface LambdaSqsLoopOptions {
  endpoint: string;
  queueUrl: string;
  region: string;
  handler: SqsLambdaHandler;
  functionName?: string;
  /** records per invocation, 1..10 (default 10, as serverless.yml configures) */
  batchSize?: number;
  /** seconds a received message stays invisible (default 5) */
  visibilityTimeoutSeconds?: number;
  /** the function's timeout: what getRemainingTimeInMillis counts down from (default 60 s) */
  functionTimeoutMs?: number;
}

export interface Invocation {
  /** the records' bodies, in the order handed over */
  bodies: string[];
  failures: string[];
  error?: unknown;
}

export interface LambdaSqsLoop {
  /** one ReceiveMessage: the visible messages as SQS event records (not yet deleted) */
  receive(): Promise<SQSRecord[]>;
  /** one invocation of the handler with these records; deletes nothing */
  invoke(records: readonly SQSRecord[]): Promise<SQSBatchResponse | undefined>;
  /** deletes these records' messages */
  acknowledge(records: readonly SQSRecord[]): Promise<void>;
  /** receive, invoke, delete what did not fail; returns the records handled (0: nothing visible) */
  pollOnce(): Promise<number>;
  /**
   * Polls until `done()` holds (checked after every poll), failing after `timeoutMs` with
   * `describe()`'s value, or at once if the handler threw.
   */
  runUntil(done: () => boolean | Promise<boolean>, options: { what: string; timeoutMs?: number; describe?: () => unknown }): Promise<void>;
  readonly invocations: readonly Invocation[];
  close(): void;
}

/** A Lambda context good enough for the handlers (request id, ARN, remaining time). */
export function lambdaContext(functionName: string, region: string, budgetMs = 60_000): Context {
  const deadline = Date.now() + budgetMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'e2e',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createLambdaSqsLoop(options: LambdaSqsLoopOptions): LambdaSqsLoop {
  const client = new SQSClient({ endpoint: options.endpoint, region: options.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const functionName = options.functionName ?? 'push';
  const queueName = options.queueUrl.slice(options.queueUrl.lastIndexOf('/') + 1);
  const invocations: Invocation[] = [];
  const handles = new Map<string, string>();
  let lastError: unknown;

  const receive = async (): Promise<SQSRecord[]> => {
    const out = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: options.batchSize ?? 10,
        VisibilityTimeout: options.visibilityTimeoutSeconds ?? 5,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    return (out.Messages ?? []).map((m) => {
      const messageId = m.MessageId ?? '';
      handles.set(messageId, m.ReceiptHandle ?? '');
      return {
        messageId,
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: 'e2e',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${options.region}:${ACCOUNT_ID}:${queueName}`,
        awsRegion: options.region,
      } satisfies SQSRecord;
    });
  };

  const invoke = async (records: readonly SQSRecord[]): Promise<SQSBatchResponse | undefined> => {
    const invocation: Invocation = { bodies: records.map((r) => r.body), failures: [] };
    invocations.push(invocation);
    try {
      const response = (await options.handler({ Records: [...records] }, lambdaContext(functionName, options.region, options.functionTimeoutMs))) ?? undefined;
      invocation.failures = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      return response;
    } catch (error) {
      invocation.error = error;
      lastError = error;
      throw error;
    }
  };

  const acknowledge = async (records: readonly SQSRecord[]): Promise<void> => {
    for (const r of records) {
      const handle = handles.get(r.messageId);
      if (handle === undefined) continue;
      handles.delete(r.messageId);
      await client.send(new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: handle }));
    }
  };

  const pollOnce = async (): Promise<number> => {
    const records = await receive();
    if (records.length === 0) return 0;
    let response: SQSBatchResponse | undefined;
    try {
      response = await invoke(records);
    } catch {
      return records.length; // not deleted: delivered again after the visibility timeout
    }
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    await acknowledge(records.filter((r) => !failed.has(r.messageId)));
    return records.length;
  };

  return {
    receive,
    invoke,
    acknowledge,
    pollOnce,
    async runUntil(done, o) {
      const deadline = Date.now() + (o.timeoutMs ?? 15_000);
      lastError = undefined;
      for (;;) {
        const handled = await pollOnce();
        if (lastError !== undefined) throw new Error(`${o.what}: the handler threw: ${String(lastError)}`, { cause: lastError });
        if (await done()) return;
        if (Date.now() > deadline) {
          const shown = o.describe === undefined ? '' : `; state: ${JSON.stringify(o.describe()).slice(0, 2000)}`;
          throw new Error(`${o.what}: not reached within ${o.timeoutMs ?? 15_000} ms${shown}`);
        }
        if (handled === 0) await sleep(50);
      }
    },
    invocations,
    close: () => client.destroy(),
  };
}
