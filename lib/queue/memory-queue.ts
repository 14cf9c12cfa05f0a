// The in-process queue of the local runner, with the SQS behaviour the push handler is
// written for: at-least-once delivery in batches, delayed messages, records reported in
// `batchItemFailures` (or a whole batch that threw) delivered again after a visibility
// timeout, and a message that failed `maxReceiveCount` times moved to a dead-letter list.
// Time comes from the injected clock; one batch is handled at a time.
import { randomUUID } from 'node:crypto';
import type { CancelTimer, Clock } from '../time/clock.ts';
import { SQS_MAX_MESSAGE_BYTES, encodeDirtyMessages, type DirtyMessage } from './dirty-message.ts';
import { validateDelaySeconds, type BatchHandler, type QueueRecord, type SendOptions, type SendReport, type WorkQueue } from './work-queue.ts';

export interface MemoryQueueOptions {
  clock: Pick<Clock, 'now' | 'setTimer'>;
  /** records per handler call; default 10 (the SQS event source default) */
  batchSize?: number;
  /** deliveries before a message goes to the dead letters; default 5 */
  maxReceiveCount?: number;
  /** how long a failed message stays invisible; default 1000 ms */
  visibilityTimeoutMs?: number;
  maxMessageBytes?: number;
  /** called when a handler throws (the whole batch then counts as failed) */
  onHandlerError?: (error: unknown, records: readonly QueueRecord[]) => void;
}

export interface DeadLetter extends QueueRecord {
  deadAt: number;
}

export interface MemoryQueueStats {
  /** deliverable now */
  visible: number;
  /** delayed or waiting out a visibility timeout */
  invisible: number;
  inFlight: number;
  dead: number;
  delivered: number;
}

export interface MemoryQueue extends WorkQueue {
  /** start delivering to `handler` (one consumer) */
  consume(handler: BatchHandler): void;
  /** resolves when nothing is deliverable now and no batch is in flight */
  idle(): Promise<void>;
  stats(): MemoryQueueStats;
  deadLetters(): readonly DeadLetter[];
  /** stop delivering and cancel timers; messages stay where they are */
  close(): void;
}

interface Stored {
  messageId: string;
  body: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
}

export function createMemoryQueue(options: MemoryQueueOptions): MemoryQueue {
  const { clock } = options;
  const batchSize = options.batchSize ?? 10;
  const maxReceiveCount = options.maxReceiveCount ?? 5;
  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 1000;
  const maxMessageBytes = options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize: must be a positive integer (got ${batchSize})`);
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) throw new Error(`maxReceiveCount: must be a positive integer (got ${maxReceiveCount})`);

  let stored: Stored[] = [];
  const dead: DeadLetter[] = [];
  let handler: BatchHandler | undefined;
  let inFlight = 0;
  let delivered = 0;
  let closed = false;
  let cancelWake: CancelTimer | undefined;
  let waiters: (() => void)[] = [];

  const visibleCount = (now: number): number => stored.filter((m) => m.visibleAt <= now).length;

  const notifyIdle = (): void => {
    if (inFlight > 0 || (handler !== undefined && !closed && visibleCount(clock.now()) > 0)) return;
    const ws = waiters;
    waiters = [];
    for (const w of ws) w();
  };

  /** Arrange the next delivery: at once if something is visible, else when the next message becomes visible. */
  const wake = (): void => {
    cancelWake?.();
    cancelWake = undefined;
    if (closed || handler === undefined || inFlight > 0 || stored.length === 0) return;
    const now = clock.now();
    const next = Math.min(...stored.map((m) => m.visibleAt));
    cancelWake = clock.setTimer(Math.max(0, next - now), deliver);
  };

  const deliver = (): void => {
    cancelWake = undefined;
    if (closed || handler === undefined || inFlight > 0) return;
    const now = clock.now();
    const batch: Stored[] = [];
    const rest: Stored[] = [];
    for (const m of stored) {
      if (batch.length < batchSize && m.visibleAt <= now) batch.push(m);
      else rest.push(m);
    }
    if (batch.length === 0) {
      wake();
      return;
    }
    stored = rest;
    for (const m of batch) m.receiveCount++;
    const records: QueueRecord[] = batch.map((m) => ({ messageId: m.messageId, body: m.body, receiveCount: m.receiveCount, sentAt: m.sentAt }));
    inFlight = batch.length;
    delivered += batch.length;
    const run = handler;
    void (async () => {
      let failedIds: Set<string>;
      try {
        const result = await run(records);
        const ids = (result ?? { batchItemFailures: [] }).batchItemFailures.map((f) => f.itemIdentifier);
        // As Lambda does: an identifier that names no record of the batch fails the whole batch.
        const known = new Set(records.map((r) => r.messageId));
        failedIds = ids.every((id) => known.has(id)) ? new Set(ids) : known;
      } catch (error) {
        options.onHandlerError?.(error, records);
        failedIds = new Set(records.map((r) => r.messageId));
      }
      const at = clock.now();
      for (const m of batch) {
        if (!failedIds.has(m.messageId)) continue;
        if (m.receiveCount >= maxReceiveCount) {
          dead.push({ messageId: m.messageId, body: m.body, receiveCount: m.receiveCount, sentAt: m.sentAt, deadAt: at });
        } else {
          m.visibleAt = at + visibilityTimeoutMs;
          stored.push(m);
        }
      }
      inFlight = 0;
      wake();
      notifyIdle();
    })();
  };

  return {
    async send(messages: readonly DirtyMessage[], sendOptions: SendOptions = {}): Promise<SendReport> {
      if (closed) throw new Error('queue is closed');
      const delaySeconds = validateDelaySeconds(sendOptions.delaySeconds);
      const bodies = encodeDirtyMessages(messages, maxMessageBytes);
      const now = clock.now();
      for (const body of bodies) {
        stored.push({ messageId: randomUUID(), body, sentAt: now, visibleAt: now + delaySeconds * 1000, receiveCount: 0 });
      }
      wake();
      return { messages: bodies.length, requests: 0, retriedEntries: 0 };
    },
    consume(next) {
      if (handler !== undefined) throw new Error('queue already has a consumer');
      handler = next;
      wake();
    },
    idle() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        notifyIdle();
      });
    },
    stats() {
      const now = clock.now();
      const visible = visibleCount(now);
      return { visible, invisible: stored.length - visible, inFlight, dead: dead.length, delivered };
    },
    deadLetters: () => dead,
    close() {
      closed = true;
      cancelWake?.();
      cancelWake = undefined;
      notifyIdle();
    },
  };
}
