// The SQS adapter against the SQS wire contract: @aws-sdk/client-sqs talks AWS JSON 1.0
// over real HTTP to the fake in test/support/sqs-fake, which enforces the batch limits.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from '@jest/globals';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { startSqsFake, type SqsFake } from '../support/sqs-fake/server.ts';
import { createSqsQueue } from '../../lib/queue/sqs-queue.ts';
import { parseDirtyMessage, type DirtyMessage } from '../../lib/queue/dirty-message.ts';
import { QueueSendError } from '../../lib/queue/work-queue.ts';
import { ValidationError } from '../../lib/model/validation.ts';

let fake: SqsFake;
let client: SQSClient;

beforeAll(async () => {
  fake = await startSqsFake({ queues: ['work', 'other', 'delayed'] });
  client = new SQSClient({
    endpoint: fake.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await fake.close();
});

// Index of the first request a test made, so each test looks at its own requests only.
const startOf = { work: 0 };
beforeEach(() => {
  startOf.work = fake.requests.length;
});

async function drain(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const out = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) return bodies;
    for (const m of messages) {
      bodies.push(m.Body ?? '');
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

function msg(keys: string[], reason: DirtyMessage['reason'] = 'watch'): DirtyMessage {
  return { v: 1, keys, reason, at: 1_700_000_000_000 };
}

async function expectSqsError(promise: Promise<unknown>, name: string, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).name).toBe(name);
  expect((error as { Code?: string }).Code).toBe(code);
}

describe('the SQS fake enforces the SendMessageBatch contract (raw SDK)', () => {
  const entry = (i: number, extra: Record<string, unknown> = {}) => ({ Id: `e${i}`, MessageBody: `body-${i}`, ...extra });

  it('rejects more than 10 entries', async () => {
    const entries = Array.from({ length: 11 }, (_, i) => entry(i));
    await expectSqsError(client.send(new SendMessageBatchCommand({ QueueUrl: fake.queueUrl(), Entries: entries })), 'TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest');
  });

  it('rejects an empty batch', async () => {
    await expectSqsError(client.send(new SendMessageBatchCommand({ QueueUrl: fake.queueUrl(), Entries: [] })), 'EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest');
  });

  it('rejects repeated entry ids', async () => {
    await expectSqsError(
      client.send(new SendMessageBatchCommand({ QueueUrl: fake.queueUrl(), Entries: [entry(1), { Id: 'e1', MessageBody: 'x' }] })),
      'BatchEntryIdsNotDistinct',
      'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    );
  });

  it('rejects a batch over 256 KiB in total', async () => {
    const big = 'x'.repeat(100_000);
    const entries = [0, 1, 2].map((i) => ({ Id: `e${i}`, MessageBody: big }));
    await expectSqsError(client.send(new SendMessageBatchCommand({ QueueUrl: fake.queueUrl(), Entries: entries })), 'BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong');
  });

  it('fails an entry whose DelaySeconds is out of range, and accepts the others', async () => {
    const out = await client.send(new SendMessageBatchCommand({ QueueUrl: fake.queueUrl('other'), Entries: [entry(1, { DelaySeconds: 901 }), entry(2, { DelaySeconds: 900 })] }));
    expect(out.Failed).toEqual([expect.objectContaining({ Id: 'e1', Code: 'InvalidParameterValue', SenderFault: true })]);
    expect(out.Successful?.map((s) => s.Id)).toEqual(['e2']);
    expect(fake.messages('other').map((m) => m.delaySeconds)).toEqual([900]);
  });

  it('rejects SendMessage with DelaySeconds out of range', async () => {
    const error = await client.send(new SendMessageCommand({ QueueUrl: fake.queueUrl(), MessageBody: 'x', DelaySeconds: -1 })).catch((e: unknown) => e);
    expect((error as Error).name).toBe('InvalidParameterValue');
    expect((error as Error).message).toContain('DelaySeconds');
  });

  it('answers an unknown queue with QueueDoesNotExist', async () => {
    await expectSqsError(client.send(new SendMessageBatchCommand({ QueueUrl: fake.queueUrl('nope'), Entries: [entry(1)] })), 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue');
  });

  it('refuses an unsigned request', async () => {
    const res = await fetch(`${fake.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' },
      body: JSON.stringify({ QueueUrl: fake.queueUrl(), MessageBody: 'x' }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-query-error')).toBe('InvalidSecurity;Sender');
  });
});

describe('createSqsQueue', () => {
  it('packs messages into batches of at most 10 entries', async () => {
    const queue = createSqsQueue({ client, queueUrl: fake.queueUrl() });
    const messages = Array.from({ length: 25 }, (_, i) => msg([`svc-${i}`]));
    const report = await queue.send(messages);
    expect(report).toEqual({ messages: 25, requests: 3, retriedEntries: 0 });
    const sent = fake.requests.slice(startOf.work).filter((r) => r.operation === 'SendMessageBatch');
    expect(sent.map((r) => [r.entries, r.status])).toEqual([
      [10, 200],
      [10, 200],
      [5, 200],
    ]);
    const bodies = await drain(fake.queueUrl());
    expect(bodies.map((b) => parseDirtyMessage(b).keys[0]).sort()).toEqual(messages.map((m) => m.keys[0]).sort());
  });

  it('splits a long key list so every message and every batch stays under 256 KiB', async () => {
    const keys = Array.from({ length: 30_000 }, (_, i) => `production/app-${i % 97}/service-with-a-rather-long-name-${i}`);
    const queue = createSqsQueue({ client, queueUrl: fake.queueUrl() });
    const report = await queue.send([{ ...msg(keys, 'sync'), correlationId: 'sync-1' }]);
    const sent = fake.requests.slice(startOf.work).filter((r) => r.operation === 'SendMessageBatch');
    expect(sent.length).toBeGreaterThan(1);
    for (const r of sent) {
      expect(r.status).toBe(200);
      expect(r.bytes).toBeLessThanOrEqual(262_144);
    }
    expect(report.requests).toBe(sent.length);
    const stored = fake.messages();
    expect(stored).toHaveLength(report.messages);
    for (const m of stored) expect(Buffer.byteLength(m.body)).toBeLessThanOrEqual(262_144);
    const received = (await drain(fake.queueUrl())).map(parseDirtyMessage);
    expect(received.every((m) => m.reason === 'sync' && m.correlationId === 'sync-1' && m.at === 1_700_000_000_000)).toBe(true);
    const all = received.flatMap((m) => m.keys);
    expect(all).toHaveLength(keys.length);
    expect(new Set(all)).toEqual(new Set(keys));
  });

  it('retries entries that failed on the server side, with capped jittered backoff', async () => {
    const sleeps: number[] = [];
    const queue = createSqsQueue({
      client,
      queueUrl: fake.queueUrl(),
      baseBackoffMs: 100,
      maxBackoffMs: 250,
      random: () => 0.999,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    fake.injectFailures(({ body, seen }) =>
      body.includes('"flaky') && seen <= 3 ? { code: 'InternalError', message: 'try again', senderFault: false } : undefined,
    );
    try {
      const report = await queue.send([msg(['ok-1']), msg(['flaky-1']), msg(['ok-2']), msg(['flaky-2'])]);
      expect(report.messages).toBe(4);
      expect(report.requests).toBe(4);
      expect(report.retriedEntries).toBe(6);
    } finally {
      fake.injectFailures(undefined);
    }
    expect(sleeps).toEqual([99, 199, 249]);
    const keys = (await drain(fake.queueUrl())).map((b) => parseDirtyMessage(b).keys[0]).sort();
    expect(keys).toEqual(['flaky-1', 'flaky-2', 'ok-1', 'ok-2']);
  });

  it('does not retry a sender fault and reports it while the rest is sent', async () => {
    const queue = createSqsQueue({ client, queueUrl: fake.queueUrl(), sleep: async () => {} });
    fake.injectFailures(({ body }) => (body.includes('poison') ? { code: 'InvalidMessageContents', message: 'bad characters', senderFault: true } : undefined));
    try {
      const error = await queue.send([msg(['fine']), msg(['poison'])]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueueSendError);
      const e = error as QueueSendError;
      expect(e.failed).toEqual([expect.objectContaining({ code: 'InvalidMessageContents', senderFault: true })]);
      expect(parseDirtyMessage(e.failed[0]?.body ?? '').keys).toEqual(['poison']);
      expect(e.report).toMatchObject({ messages: 1, requests: 1, retriedEntries: 0 });
    } finally {
      fake.injectFailures(undefined);
    }
    expect((await drain(fake.queueUrl())).map((b) => parseDirtyMessage(b).keys[0])).toEqual(['fine']);
  });

  it('gives up after maxAttempts and names what was not sent', async () => {
    const queue = createSqsQueue({ client, queueUrl: fake.queueUrl(), maxAttempts: 3, sleep: async () => {} });
    fake.injectFailures(() => ({ code: 'ServiceUnavailable', message: 'down', senderFault: false }));
    try {
      const error = (await queue.send([msg(['a'])]).catch((e: unknown) => e)) as QueueSendError;
      expect(error).toBeInstanceOf(QueueSendError);
      expect(error.message).toContain('ServiceUnavailable');
      expect(error.report).toMatchObject({ messages: 0, requests: 3, retriedEntries: 2 });
    } finally {
      fake.injectFailures(undefined);
    }
    expect(fake.messages()).toHaveLength(0);
  });

  it('validates DelaySeconds before calling SQS and passes a valid one through', async () => {
    const queue = createSqsQueue({ client, queueUrl: fake.queueUrl() });
    const before = fake.requests.length;
    await expect(queue.send([msg(['a'])], { delaySeconds: 901 })).rejects.toThrow(ValidationError);
    await expect(queue.send([msg(['a'])], { delaySeconds: 1.5 })).rejects.toThrow(/delaySeconds.*got 1\.5/);
    expect(fake.requests.length).toBe(before);
    const delayed = createSqsQueue({ client, queueUrl: fake.queueUrl('delayed') });
    await delayed.send([msg([], 'tick')], { delaySeconds: 7 });
    expect(fake.messages('delayed').map((m) => m.delaySeconds)).toEqual([7]);
    // still invisible: a receive right away gets nothing
    const out = await client.send(new ReceiveMessageCommand({ QueueUrl: fake.queueUrl('delayed'), MaxNumberOfMessages: 10 }));
    expect(out.Messages ?? []).toHaveLength(0);
  });

  it('rejects an invalid message before sending, naming the field', async () => {
    const queue = createSqsQueue({ client, queueUrl: fake.queueUrl() });
    const bad = { v: 1, keys: ['ok', ''], reason: 'watch', at: 1 } as DirtyMessage;
    await expect(queue.send([bad])).rejects.toThrow(/message\.keys\[1\]/);
  });
});
