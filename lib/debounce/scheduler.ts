// Time, injected. The local debouncer and the in-process queue take a Scheduler so tests
// run hours of events in milliseconds with a manual clock and no timed assertions.

export type CancelTimer = () => void;

export interface Scheduler {
  now(): number;
  /** run `fn` once after `delayMs` (clamped at 0); returns a cancel function */
  setTimer(delayMs: number, fn: () => void): CancelTimer;
}

export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(handle);
  },
};

export interface ManualScheduler extends Scheduler {
  /** run every timer due up to `time` in time order (ties in creation order), letting promises settle between them */
  advanceTo(time: number): Promise<void>;
  advanceBy(ms: number): Promise<void>;
  /** run timers until none is left (or `limit` timers ran) */
  runAll(limit?: number): Promise<void>;
  pendingTimers(): number;
}

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Let queued promise callbacks (and what they chain) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function createManualScheduler(start = 0): ManualScheduler {
  let now = start;
  let seq = 0;
  const timers = new Set<ManualTimer>();

  const next = (): ManualTimer | undefined => {
    let best: ManualTimer | undefined;
    for (const t of timers) if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  };

  const self: ManualScheduler = {
    now: () => now,
    setTimer(delayMs, fn) {
      const timer: ManualTimer = { at: now + Math.max(0, delayMs), seq: seq++, fn };
      timers.add(timer);
      return () => {
        timers.delete(timer);
      };
    },
    async advanceTo(time) {
      if (time < now) throw new Error(`advanceTo: time ${time} is before now ${now}`);
      await settle();
      for (let t = next(); t !== undefined && t.at <= time; t = next()) {
        timers.delete(t);
        now = t.at;
        t.fn();
        await settle();
      }
      now = time;
    },
    advanceBy(ms) {
      return self.advanceTo(now + ms);
    },
    async runAll(limit = 100_000) {
      await settle();
      for (let i = 0, t = next(); t !== undefined; t = next(), i++) {
        if (i >= limit) throw new Error(`runAll: still ${timers.size} timers after ${limit} runs`);
        timers.delete(t);
        now = Math.max(now, t.at);
        t.fn();
        await settle();
      }
    },
    pendingTimers: () => timers.size,
  };
  return self;
}
