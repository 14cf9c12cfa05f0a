// WorkQueue over SQS SendMessageBatch. SQS limits a request to 10 entries and 256 KiB in
// total, so keys are packed into as few messages as fit and messages into as few
// requests as fit. A batch can succeed in part: entries listed in `Failed` by a server
// fault are sent again with capped, jittered backoff; a sender fault is final (sending
// the same entry again cannot help) and is reported.
import { SendMessageBatchCommand, type SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { SQS_MAX_MESSAGE_BYTES, byteLength, encodeDirtyMessages, type DirtyMessage } from './dirty-message.ts';
import { QueueSendError, validateDelaySeconds, type FailedEntry, type SendOptions, type SendReport, type WorkQueue } from './work-queue.ts';
import { backoffDelay, sleep } from '../retry/backoff.ts';
import { packRuns } from '../collections/pack-runs.ts';

export const SQS_MAX_BATCH_ENTRIES = 10;

export interface SqsQueueOptions {
  client: Pick<SQSClient, 'send'>;
  queueUrl: string;
  /** per message; default 256 KiB */
  maxMessageBytes?: number;
  /** per SendMessageBatch request (sum of bodies); default 256 KiB */
  maxBatchBytes?: number;
  /** attempts per entry, the first included; default 5 */
  maxAttempts?: number;
  /** backoff before retry n is random(0, min(maxBackoffMs, baseBackoffMs·2^(n-1))) */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface Pending {
  id: string;
  body: string;
}


/** Group bodies into batches of ≤ 10 entries and ≤ maxBatchBytes. */
export function planBatches(bodies: readonly string[], maxBatchBytes: number): string[][] {
  return packRuns(bodies, { cost: byteLength, maxCost: maxBatchBytes, maxItems: SQS_MAX_BATCH_ENTRIES });
}

export function createSqsQueue(options: SqsQueueOptions): WorkQueue {
  const maxBatchBytes = options.maxBatchBytes ?? SQS_MAX_MESSAGE_BYTES;
  const maxMessageBytes = Math.min(options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES, maxBatchBytes);
  const maxAttempts = options.maxAttempts ?? 5;
  const base = options.baseBackoffMs ?? 100;
  const cap = options.maxBackoffMs ?? 5000;
  const random = options.random ?? Math.random;
  const wait = options.sleep ?? sleep;

  /** Send one batch; retry what failed on the server side. Returns the final failures. */
  async function sendBatch(bodies: readonly string[], delaySeconds: number, report: SendReport): Promise<FailedEntry[]> {
    let pending: Pending[] = bodies.map((body, i) => ({ id: `m${i}`, body }));
    const final: FailedEntry[] = [];
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) {
        report.retriedEntries += pending.length;
        await wait(backoffDelay(attempt - 2, { baseMs: base, maxMs: cap }, random));
      }
      const entries: SendMessageBatchRequestEntry[] = pending.map((p) => ({
        Id: p.id,
        MessageBody: p.body,
        ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}),
      }));
      report.requests++;
      const out = await options.client.send(new SendMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: entries }));
      const byId = new Map(pending.map((p) => [p.id, p]));
      report.messages += out.Successful?.length ?? 0;
      const retry: Pending[] = [];
      const answered = new Set<string>((out.Successful ?? []).map((s) => s.Id ?? ''));
      for (const f of out.Failed ?? []) {
        const p = byId.get(f.Id ?? '');
        if (p === undefined) continue;
        answered.add(p.id);
        const entry: FailedEntry = { code: f.Code ?? 'Unknown', message: f.Message ?? '', senderFault: f.SenderFault ?? false, body: p.body };
        if (entry.senderFault || attempt >= maxAttempts) final.push(entry);
        else retry.push(p);
      }
      // An entry the response does not mention was not accepted either.
      for (const p of pending) {
        if (answered.has(p.id)) continue;
        const entry: FailedEntry = { code: 'MissingFromResponse', message: 'entry absent from both Successful and Failed', senderFault: false, body: p.body };
        if (attempt >= maxAttempts) final.push(entry);
        else retry.push(p);
      }
      pending = retry;
    }
    return final;
  }

  return {
    async send(messages: readonly DirtyMessage[], sendOptions: SendOptions = {}): Promise<SendReport> {
      const delaySeconds = validateDelaySeconds(sendOptions.delaySeconds);
      const bodies = encodeDirtyMessages(messages, maxMessageBytes);
      const report: SendReport = { messages: 0, requests: 0, retriedEntries: 0 };
      const failed: FailedEntry[] = [];
      for (const batch of planBatches(bodies, maxBatchBytes)) {
        try {
          failed.push(...(await sendBatch(batch, delaySeconds, report)));
        } catch (error) {
          const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          throw new QueueSendError(`SendMessageBatch failed after ${report.messages} of ${bodies.length} messages were sent: ${reason}`, failed, report, { cause: error });
        }
      }
      if (failed.length > 0) {
        const first = failed[0] as FailedEntry;
        throw new QueueSendError(`${failed.length} of ${bodies.length} messages were not accepted (first: ${first.code}: ${first.message})`, failed, report);
      }
      return report;
    },
  };
}
