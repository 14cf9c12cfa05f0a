import { describe, expect, it } from '@jest/globals';
import { createManualClock } from '../time/manual-clock.ts';
import { createKeyBatcher } from './key-batcher.ts';

function setup(failures = 0) {
  const clock = createManualClock(1_000);
  const sent: { keys: string[]; oldestAt: number; at: number }[] = [];
  const errors: string[][] = [];
  let fail = failures;
  const batcher = createKeyBatcher({
    windowMs: 100,
    clock,
    send: async (keys, oldestAt) => {
      if (fail-- > 0) throw new Error('queue down');
      sent.push({ keys, oldestAt, at: clock.now() });
    },
    onError: (_error, keys) => errors.push(keys),
  });
  return { clock, sent, errors, batcher };
}

describe('key batcher on the manual clock', () => {
  it('sends the keys of one window as one batch, stamped with the first key’s time', async () => {
    const { clock, sent, batcher } = setup();
    batcher.add(['b', 'a']);
    await clock.advanceBy(40);
    batcher.add(['a', 'c']);
    expect(batcher.pending()).toBe(3);
    await clock.advanceBy(59);
    expect(sent).toEqual([]);
    await clock.advanceBy(1);
    expect(sent).toEqual([{ keys: ['a', 'b', 'c'], oldestAt: 1_000, at: 1_100 }]);
    expect(batcher.pending()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps the keys of a failed send and tries again ten windows later', async () => {
    const { clock, sent, errors, batcher } = setup(1);
    batcher.add(['a']);
    await clock.advanceBy(100);
    expect(errors).toEqual([['a']]);
    expect(batcher.pending()).toBe(1);
    await clock.advanceBy(999);
    expect(sent).toEqual([]);
    await clock.advanceBy(1);
    expect(sent).toEqual([{ keys: ['a'], oldestAt: 1_000, at: 2_100 }]);
  });

  it('flush sends what is held at once; close cancels the window', async () => {
    const { clock, sent, batcher } = setup();
    batcher.add(['a']);
    await batcher.flush();
    expect(sent).toEqual([{ keys: ['a'], oldestAt: 1_000, at: 1_000 }]);
    batcher.add(['b']);
    batcher.close();
    expect(clock.pendingTimers()).toBe(0);
    await clock.runAll();
    expect(sent).toHaveLength(1);
    expect(batcher.pending()).toBe(1);
  });
});
