// Time as the adapters see it when they wait: injectable, so rate limiting and backoff are
// tested with a fake clock instead of real waiting.
import { sleep } from './backoff.ts';

export interface Clock {
  /** epoch milliseconds */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => sleep(Math.max(0, ms)),
};
