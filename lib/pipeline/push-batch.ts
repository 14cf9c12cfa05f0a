// One batch of queue messages for the push step, as the serverless host receives it: the
// debounce cycle lives in state (conditional writes, so concurrent invocations never push
// one cycle twice), re-triggers are delayed tick messages, and keys are never lost: a
// push that fails sends its keys back to the queue before the batch is acknowledged.
import type { DebounceConfig } from '../debounce/config.ts';
import { onEvents, onTick, type PushDecision } from '../debounce/cycle.ts';
import { runCycleStep } from '../state/cycle-step.ts';
import { parseDirtyMessage, type DirtyMessage } from '../queue/dirty-message.ts';
import { delaySecondsUntil, type BatchResult, type QueueRecord, type WorkQueue } from '../queue/work-queue.ts';
import { ValidationError } from '../model/validation.ts';
import type { PushDeps, PushOptions, PushReport } from './push.ts';
import { pushCycle } from './push-cycle.ts';

export interface PushBatchDeps extends PushDeps {
  queue: WorkQueue;
  debounce: DebounceConfig;
  /** ms left before the host must return (Lambda's getRemainingTimeInMillis); unlimited if absent */
  remainingMs?: () => number;
  /** start no service when less than this is left; default 10 s */
  reserveMs?: number;
  /** services pushed at once (config kube.concurrency) */
  concurrency?: number;
  /** delay before failed keys are tried again; default 5 s */
  retryDelaySeconds?: number;
}

export interface PushBatchReport extends BatchResult {
  decision: 'push' | 'wait' | 'idle';
  pushed: string[];
  requeued: string[];
  invalid: number;
  push?: PushReport;
}

async function requeue(deps: PushBatchDeps, keys: readonly string[], at: number, correlationId: string): Promise<void> {
  if (keys.length === 0) return;
  await deps.queue.send([{ v: 1, keys: [...keys], reason: 'sync', at, correlationId }], { delaySeconds: deps.retryDelaySeconds ?? 5 });
}

async function runPush(decision: PushDecision, deps: PushBatchDeps, correlationId: string, report: PushBatchReport): Promise<void> {
  const keys = decision.keys;
  const options: PushOptions = {
    ...(deps.concurrency === undefined ? {} : { concurrency: deps.concurrency }),
    ...(deps.remainingMs === undefined ? {} : { remainingMs: deps.remainingMs }),
    ...(deps.reserveMs === undefined ? {} : { reserveMs: deps.reserveMs }),
  };
  const total = await pushCycle(keys, deps, correlationId, decision.firstEventAt, options);
  const leftover = [...total.notStarted, ...total.failedKeys].sort();
  // Over the time budget or failed: back on the queue, never dropped.
  await requeue(deps, leftover, decision.firstEventAt, correlationId);
  const left = new Set(leftover);
  report.pushed = keys.filter((k) => !left.has(k));
  report.requeued = leftover;
  report.push = total;
}

export async function handlePushBatch(records: readonly QueueRecord[], deps: PushBatchDeps, correlationId: string): Promise<PushBatchReport> {
  const report: PushBatchReport = { batchItemFailures: [], decision: 'idle', pushed: [], requeued: [], invalid: 0 };
  const messages: DirtyMessage[] = [];
  for (const record of records) {
    try {
      messages.push(parseDirtyMessage(record.body));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // Reported, not dropped: after maxReceiveCount deliveries SQS moves it to the DLQ.
      report.invalid++;
      deps.metrics.add('messages_invalid');
      deps.logger.error({ correlationId, messageId: record.messageId, receiveCount: record.receiveCount, reason: error.message }, 'invalid queue message');
      report.batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  const now = deps.clock.now();
  const keys = messages.flatMap((m) => m.keys);
  if (messages.length > 0) deps.metrics.lastQueueAgeMs = Math.max(0, now - Math.min(...messages.map((m) => m.at)));
  if (messages.length === 0) return report;

  const step = await runCycleStep(deps.state, (state) => (keys.length > 0 ? onEvents(state, keys, now, deps.debounce) : onTick(state, now, deps.debounce)));
  const decision = step.decision;
  report.decision = decision.kind;
  if (decision.kind === 'wait') {
    // One tick chain per cycle: the batch that opened the cycle starts it and each tick that
    // finds the cycle not yet due continues it. Events joining an open cycle send none, so
    // a storm of events does not become a storm of ticks. (Should a chain break, the next
    // event or the per-minute sync finds the cycle overdue and pushes it.)
    const opened = step.state !== null && step.state.events === keys.length && keys.length > 0;
    if (!opened && keys.length > 0) return report;
    await deps.queue.send([{ v: 1, keys: [], reason: 'tick', at: now, correlationId }], { delaySeconds: delaySecondsUntil(decision.untilMs, now) });
    return report;
  }
  if (decision.kind === 'push') {
    await runPush(decision, deps, correlationId, report);
    if (decision.nextTickAt !== null) {
      await deps.queue.send([{ v: 1, keys: [], reason: 'tick', at: now, correlationId }], { delaySeconds: delaySecondsUntil(decision.nextTickAt, deps.clock.now()) });
    }
  }
  return report;
}
