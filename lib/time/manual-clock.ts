// The clock tests move by hand. Time stands still until the test advances it; then every
// timer due runs in time order (ties in creation order), and promise callbacks settle
// between two timers, so what a timer starts (a push, a retry's sleep) runs before the
// next one fires. A sleep is a timer that resolves its promise.
import type { CancelTimer, Clock } from './clock.ts';

export interface ManualClock extends Clock {
  /** run every timer due up to `time` in time order, letting promises settle between them; then now = time */
  advanceTo(time: number): Promise<void>;
  advanceBy(ms: number): Promise<void>;
  /** run timers until none is left (throws once `limit` timers ran and more are left) */
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

export function createManualClock(start = 0): ManualClock {
  let now = start;
  let seq = 0;
  const timers = new Set<ManualTimer>();

  const next = (): ManualTimer | undefined => {
    let best: ManualTimer | undefined;
    for (const t of timers) if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  };

  const setTimer = (delayMs: number, fn: () => void): CancelTimer => {
    const timer: ManualTimer = { at: now + Math.max(0, delayMs), seq: seq++, fn };
    timers.add(timer);
    return () => {
      timers.delete(timer);
    };
  };

  const self: ManualClock = {
    now: () => now,
    setTimer,
    sleep: (ms) => new Promise<void>((resolve) => setTimer(ms, resolve)),
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
