// Collects dirty keys for a short window and hands them on as one batch: the watcher sends
// one queue message per window instead of one per event. `flush()` on shutdown hands on
// whatever is held, so a stopping watcher loses nothing it received.
import type { CancelTimer, Clock } from '../time/clock.ts';

export interface KeyBatcher {
  add(keys: readonly string[]): void;
  flush(): Promise<void>;
  /** keys held, not yet handed on */
  pending(): number;
  /** cancels the window and any retry timer; keys still held stay unsent (flush first) */
  close(): void;
}

export interface KeyBatcherOptions {
  windowMs: number;
  send: (keys: string[], oldestAt: number) => Promise<void>;
  clock: Pick<Clock, 'now' | 'setTimer'>;
  onError: (error: unknown, keys: string[]) => void;
}

export function createKeyBatcher(options: KeyBatcherOptions): KeyBatcher {
  const { clock } = options;
  let keys = new Set<string>();
  let oldestAt = 0;
  let timer: CancelTimer | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let closed = false;

  const drain = async (): Promise<void> => {
    timer?.();
    timer = undefined;
    if (keys.size === 0) return;
    const batch = [...keys].sort();
    const at = oldestAt;
    keys = new Set();
    try {
      await options.send(batch, at);
    } catch (error) {
      // Kept for the next window: a send that fails must not drop the marks.
      for (const k of batch) keys.add(k);
      oldestAt = Math.min(oldestAt || at, at);
      options.onError(error, batch);
      if (timer === undefined && !closed) timer = clock.setTimer(options.windowMs * 10, () => void (inFlight = inFlight.then(drain)));
    }
  };
  return {
    add(incoming) {
      if (incoming.length === 0) return;
      if (keys.size === 0) oldestAt = clock.now();
      for (const k of incoming) keys.add(k);
      if (timer === undefined && !closed) timer = clock.setTimer(options.windowMs, () => void (inFlight = inFlight.then(drain)));
    },
    async flush() {
      inFlight = inFlight.then(drain);
      await inFlight;
    },
    pending: () => keys.size,
    close() {
      timer?.();
      timer = undefined;
      closed = true;
    },
  };
}
