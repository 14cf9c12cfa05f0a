// The small interface both hosts share: SQS in production, an in-process queue locally.
// The consumer side mirrors Lambda's SQS event and its partial-batch-failure response, so
// one push handler serves both.
import type { DirtyMessage } from './dirty-message.ts';
import { ValidationError, describeValue } from '../model/validation.ts';

export interface SendOptions {
  /** 0..900; the message stays invisible this long (a debounce re-trigger) */
  delaySeconds?: number;
}

export interface SendReport {
  /** queue messages accepted (one DirtyMessage may become several) */
  messages: number;
  /** API calls made (SQS) or 0 (in-process) */
  requests: number;
  /** entries sent again after a partial failure */
  retriedEntries: number;
}

export interface WorkQueue {
  send(messages: readonly DirtyMessage[], options?: SendOptions): Promise<SendReport>;
}

export interface FailedEntry {
  code: string;
  message: string;
  senderFault: boolean;
  /** the queue message body that was not accepted */
  body: string;
}

/** Some messages were not accepted after all retries; the others were. */
export class QueueSendError extends Error {
  override readonly name = 'QueueSendError';
  readonly failed: readonly FailedEntry[];
  readonly report: SendReport;
  constructor(message: string, failed: readonly FailedEntry[], report: SendReport, options?: { cause?: unknown }) {
    super(message, options);
    this.failed = failed;
    this.report = report;
  }
}

/** One received message, shaped like the fields of a Lambda SQS record that matter here. */
export interface QueueRecord {
  messageId: string;
  body: string;
  /** 1 on the first delivery */
  receiveCount: number;
  /** ms epoch the message was sent */
  sentAt: number;
}

/** Lambda's SQSBatchResponse: the records to deliver again. */
export interface BatchResult {
  batchItemFailures: { itemIdentifier: string }[];
}

export type BatchHandler = (records: readonly QueueRecord[]) => Promise<BatchResult | void> | BatchResult | void;

export const MAX_DELAY_SECONDS = 900;

export function validateDelaySeconds(value: number | undefined, field = 'delaySeconds'): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > MAX_DELAY_SECONDS) {
    throw new ValidationError(`${field}: must be an integer from 0 to ${MAX_DELAY_SECONDS} (got ${describeValue(value)})`, field, value);
  }
  return value;
}

/**
 * DelaySeconds for a re-trigger at `untilMs`: rounded up (never early), at least 1 when
 * the time is still ahead, capped at the SQS maximum (the tick then simply comes again).
 */
export function delaySecondsUntil(untilMs: number, now: number): number {
  if (untilMs <= now) return 0;
  return Math.min(MAX_DELAY_SECONDS, Math.ceil((untilMs - now) / 1000));
}
