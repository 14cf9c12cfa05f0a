import { describe, expect, it } from '@jest/globals';
import { createManualClock } from './manual-clock.ts';
import { systemClock } from './clock.ts';

describe('manual clock', () => {
  it('stands still until advanced, and runs timers in time order, ties in creation order', async () => {
    const clock = createManualClock(1_000);
    const ran: string[] = [];
    clock.setTimer(20, () => ran.push(`b@${clock.now()}`));
    clock.setTimer(10, () => ran.push(`a@${clock.now()}`));
    clock.setTimer(20, () => ran.push(`c@${clock.now()}`));
    clock.setTimer(-5, () => ran.push(`now@${clock.now()}`));
    expect(clock.now()).toBe(1_000);
    expect(ran).toEqual([]);

    await clock.advanceTo(1_015);
    expect(ran).toEqual(['now@1000', 'a@1010']);
    expect(clock.now()).toBe(1_015);
    await clock.advanceBy(5);
    expect(ran).toEqual(['now@1000', 'a@1010', 'b@1020', 'c@1020']);
    expect(clock.pendingTimers()).toBe(0);
    await expect(clock.advanceTo(1_000)).rejects.toThrow('advanceTo: time 1000 is before now 1020');
  });

  it('cancels a timer', async () => {
    const clock = createManualClock();
    let fired = false;
    const cancel = clock.setTimer(10, () => (fired = true));
    cancel();
    await clock.runAll();
    expect(fired).toBe(false);
    expect(clock.now()).toBe(0);
  });

  it('resolves a sleep when its time passes, and lets what it chains run before the next timer', async () => {
    const clock = createManualClock();
    const seen: string[] = [];
    void (async () => {
      await clock.sleep(100);
      seen.push(`woke@${clock.now()}`);
      // A chained sleep is a new timer at the time the first one fired.
      await clock.sleep(50);
      seen.push(`woke again@${clock.now()}`);
    })();
    clock.setTimer(120, () => seen.push(`timer@${clock.now()}`));

    await clock.advanceTo(99);
    expect(seen).toEqual([]);
    await clock.advanceTo(100);
    expect(seen).toEqual(['woke@100']);
    await clock.advanceTo(200);
    expect(seen).toEqual(['woke@100', 'timer@120', 'woke again@150']);
  });

  it('runAll runs timers that timers set, and stops a runaway chain at the limit', async () => {
    const clock = createManualClock();
    let ticks = 0;
    const tick = (): void => {
      ticks++;
      if (ticks < 5) clock.setTimer(1_000, tick);
    };
    clock.setTimer(1_000, tick);
    await clock.runAll();
    expect(ticks).toBe(5);
    expect(clock.now()).toBe(5_000);

    const forever = (): void => void clock.setTimer(1, forever);
    forever();
    await expect(clock.runAll(10)).rejects.toThrow('runAll: still 1 timers after 10 runs');
  });
});

describe('system clock', () => {
  it('sleeps and fires timers in real time, a negative delay as 0', async () => {
    const started = systemClock.now();
    await systemClock.sleep(-1);
    await systemClock.sleep(5);
    expect(systemClock.now() - started).toBeGreaterThanOrEqual(4);
    const fired = await new Promise<boolean>((resolve) => {
      systemClock.setTimer(-10, () => resolve(true));
    });
    expect(fired).toBe(true);
    let cancelled = true;
    const cancel = systemClock.setTimer(1, () => (cancelled = false));
    cancel();
    await systemClock.sleep(10);
    expect(cancelled).toBe(true);
  });
});
