// A small SQS endpoint for tests, speaking the AWS JSON 1.0 protocol that
// @aws-sdk/client-sqs v3 uses (POST /, `X-Amz-Target: AmazonSQS.<Operation>`,
// `Content-Type: application/x-amz-json-1.0`, errors as `__type` plus the
// `x-amzn-query-error` header the SDK maps to the classic error codes). It enforces the
// limits and error codes of SendMessageBatch that the adapter has to live with, checks
// that requests are SigV4-signed, and can fail chosen entries (returned in `Failed`).
// Signatures are not verified: the point is the wire contract, not IAM.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../../lib/time/clock.ts';

export const ACCOUNT_ID = '000000000000';

export interface FakeMessage {
  messageId: string;
  body: string;
  delaySeconds: number;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  receiptHandle?: string;
}

export interface InjectedFailure {
  code: string;
  message: string;
  senderFault: boolean;
}

/** Decide per entry whether to fail it; `seen` counts how often this body arrived (1 = first time). */
export type FailureInjector = (entry: { id: string; body: string; seen: number }) => InjectedFailure | undefined;

export interface RequestLogEntry {
  operation: string;
  entries?: number;
  bytes?: number;
  status: number;
  errorCode?: string;
}

export interface SqsFakeOptions {
  queues?: readonly string[];
  maxMessageBytes?: number;
  maxBatchBytes?: number;
  /** when messages were sent and become visible (delays); default the system clock */
  clock?: Pick<Clock, 'now'>;
}

export interface SqsFake {
  endpoint: string;
  queueUrl(name?: string): string;
  /** messages currently stored in a queue (not deleted) */
  messages(name?: string): FakeMessage[];
  requests: RequestLogEntry[];
  injectFailures(injector: FailureInjector | undefined): void;
  close(): Promise<void>;
}

class SqsError extends Error {
  readonly status: number;
  readonly type: string;
  readonly queryCode: string;
  constructor(status: number, type: string, queryCode: string, message: string) {
    super(message);
    this.status = status;
    this.type = type;
    this.queryCode = queryCode;
  }
}

const LIMIT = 262_144;
const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidParameter(message: string): SqsError {
  return new SqsError(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue', message);
}

function delayError(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 900) {
    return `Value ${String(value)} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`;
  }
  return undefined;
}

export async function startSqsFake(options: SqsFakeOptions = {}): Promise<SqsFake> {
  const maxMessageBytes = options.maxMessageBytes ?? LIMIT;
  const maxBatchBytes = options.maxBatchBytes ?? LIMIT;
  const clock = options.clock ?? systemClock;
  const queues = new Map<string, FakeMessage[]>();
  for (const name of options.queues ?? ['work']) queues.set(name, []);
  const seenBodies = new Map<string, number>();
  const requests: RequestLogEntry[] = [];
  let injector: FailureInjector | undefined;
  let endpoint = '';

  const queueFor = (input: Record<string, unknown>): FakeMessage[] => {
    const url = input['QueueUrl'];
    if (typeof url !== 'string') throw invalidParameter('Value for parameter QueueUrl is invalid. Reason: QueueUrl is required.');
    const prefix = `${endpoint}/${ACCOUNT_ID}/`;
    const queue = url.startsWith(prefix) ? queues.get(url.slice(prefix.length)) : undefined;
    if (queue === undefined) {
      throw new SqsError(400, 'com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    }
    return queue;
  };

  const store = (queue: FakeMessage[], body: string, delaySeconds: number): FakeMessage => {
    const at = clock.now();
    const message: FakeMessage = { messageId: randomUUID(), body, delaySeconds, sentAt: at, visibleAt: at + delaySeconds * 1000, receiveCount: 0 };
    queue.push(message);
    return message;
  };

  const operations: Record<string, (input: Record<string, unknown>, log: RequestLogEntry) => unknown> = {
    SendMessageBatch(input, log) {
      const queue = queueFor(input);
      const entries = input['Entries'];
      if (!Array.isArray(entries) || entries.length === 0) {
        throw new SqsError(400, 'com.amazonaws.sqs#EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
      }
      log.entries = entries.length;
      if (entries.length > 10) {
        throw new SqsError(400, 'com.amazonaws.sqs#TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
      }
      const ids = new Set<string>();
      let bytes = 0;
      for (const entry of entries) {
        const id = isRecord(entry) ? entry['Id'] : undefined;
        if (typeof id !== 'string' || !ENTRY_ID.test(id)) {
          throw new SqsError(400, 'com.amazonaws.sqs#InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
        }
        if (ids.has(id)) throw new SqsError(400, 'com.amazonaws.sqs#BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
        ids.add(id);
        const body = isRecord(entry) ? entry['MessageBody'] : undefined;
        bytes += typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : 0;
      }
      log.bytes = bytes;
      if (bytes > maxBatchBytes) {
        throw new SqsError(400, 'com.amazonaws.sqs#BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong', `Batch requests cannot be longer than ${maxBatchBytes} bytes. You have sent ${bytes} bytes.`);
      }
      const successful: Record<string, unknown>[] = [];
      const failed: Record<string, unknown>[] = [];
      for (const entry of entries as Record<string, unknown>[]) {
        const id = entry['Id'] as string;
        const body = entry['MessageBody'];
        const fail = (f: InjectedFailure): void => {
          failed.push({ Id: id, SenderFault: f.senderFault, Code: f.code, Message: f.message });
        };
        if (typeof body !== 'string' || body.length === 0) {
          fail({ code: 'MissingParameter', message: 'The request must contain the parameter MessageBody.', senderFault: true });
          continue;
        }
        if (Buffer.byteLength(body, 'utf8') > maxMessageBytes) {
          fail({ code: 'InvalidParameterValue', message: `One or more parameters are invalid. Reason: Message must be shorter than ${maxMessageBytes} bytes.`, senderFault: true });
          continue;
        }
        const badDelay = delayError(entry['DelaySeconds']);
        if (badDelay !== undefined) {
          fail({ code: 'InvalidParameterValue', message: badDelay, senderFault: true });
          continue;
        }
        const seen = (seenBodies.get(body) ?? 0) + 1;
        seenBodies.set(body, seen);
        const injected = injector?.({ id, body, seen });
        if (injected !== undefined) {
          fail(injected);
          continue;
        }
        const stored = store(queue, body, (entry['DelaySeconds'] as number | undefined) ?? 0);
        successful.push({ Id: id, MessageId: stored.messageId, MD5OfMessageBody: md5(body) });
      }
      return { Successful: successful, Failed: failed };
    },

    SendMessage(input, log) {
      const queue = queueFor(input);
      const body = input['MessageBody'];
      if (typeof body !== 'string' || body.length === 0) throw new SqsError(400, 'com.amazonaws.sqs#MissingParameter', 'MissingParameter', 'The request must contain the parameter MessageBody.');
      log.bytes = Buffer.byteLength(body, 'utf8');
      if (log.bytes > maxMessageBytes) throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${maxMessageBytes} bytes.`);
      const badDelay = delayError(input['DelaySeconds']);
      if (badDelay !== undefined) throw invalidParameter(badDelay);
      const stored = store(queue, body, (input['DelaySeconds'] as number | undefined) ?? 0);
      return { MessageId: stored.messageId, MD5OfMessageBody: md5(body) };
    },

    ReceiveMessage(input) {
      const queue = queueFor(input);
      const max = input['MaxNumberOfMessages'] ?? 1;
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 10) {
        throw invalidParameter(`Value ${String(max)} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
      }
      const visibility = input['VisibilityTimeout'] ?? 30;
      if (typeof visibility !== 'number' || !Number.isInteger(visibility) || visibility < 0 || visibility > 43_200) {
        throw invalidParameter(`Value ${String(visibility)} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200.`);
      }
      const at = clock.now();
      const out: Record<string, unknown>[] = [];
      for (const m of queue) {
        if (out.length >= max) break;
        if (m.visibleAt > at) continue;
        m.receiveCount++;
        m.visibleAt = at + visibility * 1000;
        m.receiptHandle = randomUUID();
        out.push({
          MessageId: m.messageId,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: md5(m.body),
          Body: m.body,
          Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt) },
        });
      }
      return out.length > 0 ? { Messages: out } : {};
    },

    DeleteMessage(input) {
      const queue = queueFor(input);
      const handle = input['ReceiptHandle'];
      const index = queue.findIndex((m) => m.receiptHandle !== undefined && m.receiptHandle === handle);
      if (index < 0) throw new SqsError(404, 'com.amazonaws.sqs#ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${String(handle)}" is not a valid receipt handle.`);
      queue.splice(index, 1);
      return {};
    },
  };

  const reply = (res: ServerResponse, status: number, payload: unknown, queryError?: string): void => {
    const body = JSON.stringify(payload);
    res.statusCode = status;
    res.setHeader('content-type', 'application/x-amz-json-1.0');
    res.setHeader('x-amzn-requestid', randomUUID());
    if (queryError !== undefined) res.setHeader('x-amzn-query-error', queryError);
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
  };

  const handle = (req: IncomingMessage, raw: string, res: ServerResponse): void => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
    const log: RequestLogEntry = { operation: operation || target, status: 200 };
    requests.push(log);
    try {
      if (req.method !== 'POST' || req.url !== '/') throw new SqsError(404, 'UnknownOperationException', 'UnknownOperation', `no route for ${String(req.method)} ${String(req.url)}`);
      const contentType = String(req.headers['content-type'] ?? '').split(';')[0]?.trim();
      if (contentType !== 'application/x-amz-json-1.0') {
        throw new SqsError(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue', `unsupported content type ${JSON.stringify(contentType)}`);
      }
      const auth = String(req.headers['authorization'] ?? '');
      if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/sqs\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/.test(auth)) {
        throw new SqsError(403, 'com.amazonaws.sqs#InvalidSecurity', 'InvalidSecurity', 'The request is not signed with SigV4 for the sqs service.');
      }
      const op = operations[operation];
      if (op === undefined) throw new SqsError(400, 'UnknownOperationException', 'UnknownOperation', `unknown operation ${JSON.stringify(target)}`);
      let input: unknown;
      try {
        input = JSON.parse(raw === '' ? '{}' : raw);
      } catch {
        throw new SqsError(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue', 'request body is not JSON');
      }
      if (!isRecord(input)) throw invalidParameter('request body is not a JSON object');
      reply(res, 200, op(input, log));
    } catch (error) {
      const e = error instanceof SqsError ? error : new SqsError(500, 'InternalFailure', 'InternalFailure', error instanceof Error ? error.message : String(error));
      log.status = e.status;
      log.errorCode = e.queryCode;
      reply(res, e.status, { __type: e.type, message: e.message }, `${e.queryCode};${e.status >= 500 ? 'Receiver' : 'Sender'}`);
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    queueUrl: (name = 'work') => `${endpoint}/${ACCOUNT_ID}/${name}`,
    messages: (name = 'work') => [...(queues.get(name) ?? [])],
    requests,
    injectFailures(next) {
      injector = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
