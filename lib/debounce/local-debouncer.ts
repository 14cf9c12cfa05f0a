// The in-memory host of the debounce state machine, used by the local runner: it keeps
// the cycle in a variable and turns `wait` decisions into one timer. Pushes run one at a
// time; keys whose push is due while another push runs are merged and pushed next, and
// keys of a failed push are fed back in as new events, so no key is ever dropped.
import { resolveDebounceConfig, type DebounceConfig } from './config.ts';
import { flushCycle, onEvents, onTick, type Cycle, type CycleState, type PushReason, type Step } from './cycle.ts';
import type { CancelTimer, Clock } from '../time/clock.ts';

export interface PushBatch {
  keys: string[];
  reason: PushReason;
  events: number;
  firstEventAt: number;
  /** clock time at which the push was decided */
  decidedAt: number;
}

export interface LocalDebouncerOptions {
  config?: Partial<DebounceConfig>;
  clock: Pick<Clock, 'now' | 'setTimer'>;
  onPush: (batch: PushBatch) => Promise<void> | void;
  /** a push threw; its keys are re-added as events unless `retryFailedPushes` is false */
  onError?: (error: unknown, batch: PushBatch) => void;
  retryFailedPushes?: boolean;
}

export interface LocalDebouncer {
  readonly config: DebounceConfig;
  /** events, one per key, observed now */
  add(keys: readonly string[]): void;
  /** push the open cycle now and wait until every push has finished */
  flush(): Promise<void>;
  /** resolves once no push is running or queued (an open cycle may remain) */
  idle(): Promise<void>;
  /** the open cycle, if any (a copy) */
  snapshot(): CycleState | null;
  /** cancel the timer; later `add` calls throw */
  close(): void;
}

function merge(a: PushBatch, b: PushBatch): PushBatch {
  return {
    keys: [...new Set([...a.keys, ...b.keys])].sort(),
    reason: a.reason,
    events: a.events + b.events,
    firstEventAt: Math.min(a.firstEventAt, b.firstEventAt),
    decidedAt: a.decidedAt,
  };
}

export function createLocalDebouncer(options: LocalDebouncerOptions): LocalDebouncer {
  const config = resolveDebounceConfig(options.config);
  const { clock, onPush } = options;
  const retry = options.retryFailedPushes ?? true;
  let state: Cycle = null;
  let cancelTimer: CancelTimer | undefined;
  let timerAt: number | undefined;
  let running: Promise<void> | undefined;
  let queued: PushBatch | undefined;
  let closed = false;
  let waiters: (() => void)[] = [];

  const schedule = (at: number | null): void => {
    if (at === timerAt) return;
    cancelTimer?.();
    cancelTimer = undefined;
    timerAt = undefined;
    if (at === null || closed) return;
    timerAt = at;
    cancelTimer = clock.setTimer(at - clock.now(), () => {
      cancelTimer = undefined;
      timerAt = undefined;
      apply(onTick(state, clock.now(), config));
    });
  };

  const settleWaiters = (): void => {
    if (running !== undefined || queued !== undefined) return;
    const ws = waiters;
    waiters = [];
    for (const w of ws) w();
  };

  const runPushes = (): void => {
    if (running !== undefined || queued === undefined) return;
    const batch = queued;
    queued = undefined;
    running = (async () => {
      try {
        await onPush(batch);
      } catch (error) {
        options.onError?.(error, batch);
        if (retry && !closed) add(batch.keys);
      }
    })().finally(() => {
      running = undefined;
      runPushes();
      settleWaiters();
    });
  };

  const apply = (step: Step): void => {
    state = step.state;
    const d = step.decision;
    if (d.kind === 'push') {
      const batch: PushBatch = { keys: d.keys, reason: d.reason, events: d.events, firstEventAt: d.firstEventAt, decidedAt: clock.now() };
      queued = queued === undefined ? batch : merge(queued, batch);
      schedule(d.nextTickAt);
      runPushes();
    } else if (d.kind === 'wait') {
      schedule(d.untilMs);
    } else {
      schedule(null);
    }
  };

  const add = (keys: readonly string[]): void => {
    if (closed) throw new Error('debouncer is closed');
    if (keys.length === 0) return;
    apply(onEvents(state, keys, clock.now(), config));
  };

  const idle = (): Promise<void> =>
    running === undefined && queued === undefined ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve));

  return {
    config,
    add,
    async flush() {
      apply(flushCycle(state, config));
      await idle();
    },
    idle,
    snapshot: () => (state === null ? null : { ...state, keys: [...state.keys] }),
    close() {
      closed = true;
      schedule(null);
    },
  };
}
