// Time as the kube adapter sees it: injectable, so rate limiting and backoff are tested
// with a fake clock instead of real waiting.

export interface Clock {
  /** epoch milliseconds */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
