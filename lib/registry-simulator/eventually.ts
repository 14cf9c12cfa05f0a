// Waits for a condition in integration tests (events and dependencies arrive
// asynchronously); fails with the last observed value, not with a bare timeout.

export async function eventually<T>(probe: () => T | Promise<T>, accept: (value: T) => boolean, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline) {
      let shown: string;
      try {
        shown = JSON.stringify(last, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : v));
      } catch {
        shown = String(last);
      }
      throw new Error(`${what} not reached within ${timeoutMs} ms; last value: ${shown.slice(0, 500)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
