// Time, injected: reading it, waiting, and timers, as one interface. Every adapter and
// pipeline step takes the part it uses (`Pick<Clock, 'now'>`, `Pick<Clock, 'now' | 'sleep'>`,
// `Pick<Clock, 'now' | 'setTimer'>`), so tests run hours of waiting and debouncing in
// milliseconds on the manual clock (manual-clock.ts) with no timed assertions.
import { sleep } from '../retry/backoff.ts';

export type CancelTimer = () => void;

export interface Clock {
  /** epoch milliseconds */
  now(): number;
  /** resolves once `ms` (clamped at 0) have passed */
  sleep(ms: number): Promise<void>;
  /** runs `fn` once after `delayMs` (clamped at 0); returns a cancel function */
  setTimer(delayMs: number, fn: () => void): CancelTimer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => sleep(Math.max(0, ms)),
  setTimer(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(handle);
  },
};
