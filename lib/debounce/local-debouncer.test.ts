import { describe, it, expect } from '@jest/globals';
import { createLocalDebouncer, type PushBatch } from './local-debouncer.ts';
import { createManualClock } from '../time/manual-clock.ts';

function setup(overrides: Parameters<typeof createLocalDebouncer>[0]['config'] = {}) {
  const clock = createManualClock(0);
  const pushes: (PushBatch & { at: number })[] = [];
  const debouncer = createLocalDebouncer({
    config: overrides,
    clock,
    onPush: (batch) => {
      pushes.push({ ...batch, at: clock.now() });
    },
  });
  return { clock, pushes, debouncer };
}

describe('local debouncer on a fake clock (default 1 s / 10 s / 1000)', () => {
  it('pushes one event once, 1 s later', async () => {
    const { clock, pushes, debouncer } = setup();
    debouncer.add(['svc-a']);
    await clock.advanceTo(999);
    expect(pushes).toHaveLength(0);
    await clock.advanceTo(1000);
    expect(pushes).toEqual([expect.objectContaining({ at: 1000, keys: ['svc-a'], reason: 'quiet', events: 1, firstEventAt: 0 })]);
    await clock.runAll();
    expect(pushes).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('events every 500 ms for 20 s push only at the 10 s limits', async () => {
    const { clock, pushes, debouncer } = setup();
    for (let t = 0; t < 20_000; t += 500) {
      await clock.advanceTo(t);
      debouncer.add([`svc-${t}`]);
    }
    await clock.runAll();
    expect(pushes.map((p) => [p.at, p.reason, p.events])).toEqual([
      [10_000, 'max-delay', 20],
      [20_000, 'max-delay', 20],
    ]);
    expect(pushes[0]?.keys).toHaveLength(20);
    expect(pushes[1]?.keys).toContain('svc-19500');
  });

  it('events every 1.5 s push once per event, 1 s after it', async () => {
    const { clock, pushes, debouncer } = setup();
    for (let t = 0; t < 15_000; t += 1500) {
      await clock.advanceTo(t);
      debouncer.add([`svc-${t}`]);
    }
    await clock.runAll();
    expect(pushes).toHaveLength(10);
    pushes.forEach((p, i) => {
      expect(p).toMatchObject({ at: i * 1500 + 1000, keys: [`svc-${i * 1500}`], reason: 'quiet', events: 1 });
    });
  });

  it('1,001 events within 100 ms push at once at the 1000th event', async () => {
    const { clock, pushes, debouncer } = setup();
    for (let i = 0; i < 1001; i++) {
      await clock.advanceTo(Math.floor(i / 10));
      debouncer.add([`svc-${i}`]);
      if (i === 998) expect(pushes).toHaveLength(0);
    }
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({ at: 99, reason: 'max-events', events: 1000 });
    expect(pushes[0]?.keys).toHaveLength(1000);
    expect(pushes[0]?.keys).not.toContain('svc-1000');
    await clock.runAll();
    expect(pushes).toHaveLength(2);
    expect(pushes[1]).toMatchObject({ at: 1100, keys: ['svc-1000'], reason: 'quiet' });
  });

  it('coalesces a repeated key, and counts every event toward maxEvents', async () => {
    const { clock, pushes, debouncer } = setup({ maxEvents: 5 });
    for (let i = 0; i < 5; i++) debouncer.add(['same']);
    await clock.runAll();
    expect(pushes).toEqual([expect.objectContaining({ keys: ['same'], events: 5, reason: 'max-events' })]);
    for (let i = 0; i < 5; i++) debouncer.add([`svc-${i}`]);
    await clock.runAll();
    expect(pushes[1]).toEqual(expect.objectContaining({ events: 5, reason: 'max-events' }));
  });
});

describe('local debouncer pushes', () => {
  it('runs one push at a time and merges keys that come due meanwhile', async () => {
    const clock = createManualClock(0);
    const started: string[][] = [];
    let release: (() => void) | undefined;
    const debouncer = createLocalDebouncer({
      config: { quietMs: 10, maxDelayMs: 100, maxEvents: 2 },
      clock,
      onPush: async (batch) => {
        started.push(batch.keys);
        if (release === undefined) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    debouncer.add(['a', 'b']); // max-events: push 1 starts and blocks
    debouncer.add(['c', 'd']); // due while push 1 runs: queued
    debouncer.add(['e', 'f']); // merged into the queued push
    await clock.runAll();
    expect(started).toEqual([['a', 'b']]);
    release?.();
    await debouncer.idle();
    expect(started).toEqual([['a', 'b'], ['c', 'd', 'e', 'f']]);
  });

  it('feeds the keys of a failed push back in and pushes them again', async () => {
    const clock = createManualClock(0);
    const errors: unknown[] = [];
    const pushed: { at: number; keys: string[] }[] = [];
    let fail = true;
    const debouncer = createLocalDebouncer({
      clock,
      onPush: (batch) => {
        if (fail) {
          fail = false;
          throw new Error('api down');
        }
        pushed.push({ at: clock.now(), keys: batch.keys });
      },
      onError: (error) => errors.push(error),
    });
    debouncer.add(['x']);
    await clock.runAll();
    expect(errors).toHaveLength(1);
    expect(pushed).toEqual([{ at: 2000, keys: ['x'] }]);
  });

  it('flush pushes the open cycle at once', async () => {
    const { clock, pushes, debouncer } = setup();
    debouncer.add(['k1', 'k2']);
    await debouncer.flush();
    expect(pushes).toEqual([expect.objectContaining({ at: 0, reason: 'flush', keys: ['k1', 'k2'] })]);
    expect(debouncer.snapshot()).toBeNull();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('close cancels the timer and refuses new events', async () => {
    const { clock, pushes, debouncer } = setup();
    debouncer.add(['k']);
    debouncer.close();
    expect(clock.pendingTimers()).toBe(0);
    await clock.advanceBy(5000);
    expect(pushes).toHaveLength(0);
    expect(() => debouncer.add(['k'])).toThrow('closed');
  });

  it('rejects an invalid configuration naming the key and value', () => {
    const clock = createManualClock(0);
    expect(() => createLocalDebouncer({ config: { quietMs: 0 }, clock, onPush: () => {} })).toThrow(/debounce\.quietMs.*got 0/);
  });
});
