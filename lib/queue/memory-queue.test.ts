import { describe, it, expect } from '@jest/globals';
import { createManualClock } from '../time/manual-clock.ts';
import { parseDirtyMessage, type DirtyMessage } from './dirty-message.ts';
import { createMemoryQueue } from './memory-queue.ts';
import type { BatchResult, QueueRecord } from './work-queue.ts';

const msg = (key: string): DirtyMessage => ({ v: 1, keys: [key], reason: 'watch', at: 0 });
const keyOf = (r: QueueRecord): string => parseDirtyMessage(r.body).keys[0] ?? '';

function setup(options: { batchSize?: number; maxReceiveCount?: number; visibilityTimeoutMs?: number } = {}) {
  const clock = createManualClock(0);
  const queue = createMemoryQueue({ clock, ...options });
  const calls: { at: number; keys: string[]; counts: number[] }[] = [];
  return { clock, queue, calls };
}

describe('memory queue', () => {
  it('delivers in batches of batchSize', async () => {
    const { clock, queue, calls } = setup({ batchSize: 3 });
    queue.consume((records) => {
      calls.push({ at: clock.now(), keys: records.map(keyOf), counts: records.map((r) => r.receiveCount) });
    });
    const report = await queue.send(['a', 'b', 'c', 'd', 'e'].map(msg));
    expect(report).toEqual({ messages: 5, requests: 0, retriedEntries: 0 });
    await clock.runAll();
    expect(calls.map((c) => c.keys)).toEqual([['a', 'b', 'c'], ['d', 'e']]);
    expect(queue.stats()).toEqual({ visible: 0, invisible: 0, inFlight: 0, dead: 0, delivered: 5 });
  });

  it('honours delaySeconds', async () => {
    const { clock, queue, calls } = setup();
    queue.consume((records) => {
      calls.push({ at: clock.now(), keys: records.map(keyOf), counts: [] });
    });
    await queue.send([msg('later')], { delaySeconds: 5 });
    await queue.send([msg('now')]);
    await clock.advanceTo(4999);
    expect(calls.map((c) => c.keys)).toEqual([['now']]);
    expect(queue.stats()).toMatchObject({ visible: 0, invisible: 1 });
    await clock.advanceTo(5000);
    expect(calls).toEqual([expect.objectContaining({ at: 0 }), { at: 5000, keys: ['later'], counts: [] }]);
    await expect(queue.send([msg('x')], { delaySeconds: 901 })).rejects.toThrow(/delaySeconds/);
  });

  it('delivers reported item failures again after the visibility timeout', async () => {
    const { clock, queue, calls } = setup({ visibilityTimeoutMs: 2000 });
    queue.consume((records): BatchResult => {
      calls.push({ at: clock.now(), keys: records.map(keyOf), counts: records.map((r) => r.receiveCount) });
      return { batchItemFailures: records.filter((r) => keyOf(r) === 'bad' && r.receiveCount === 1).map((r) => ({ itemIdentifier: r.messageId })) };
    });
    await queue.send([msg('good'), msg('bad')]);
    await clock.runAll();
    expect(calls).toEqual([
      { at: 0, keys: ['good', 'bad'], counts: [1, 1] },
      { at: 2000, keys: ['bad'], counts: [2] },
    ]);
    expect(queue.deadLetters()).toHaveLength(0);
  });

  it('re-delivers a whole batch whose handler threw, then dead-letters it at maxReceiveCount', async () => {
    const errors: unknown[] = [];
    const clock = createManualClock(0);
    const queue = createMemoryQueue({ clock, maxReceiveCount: 3, visibilityTimeoutMs: 100, onHandlerError: (e) => errors.push(e) });
    let calls = 0;
    queue.consume(() => {
      calls++;
      throw new Error('boom');
    });
    await queue.send([msg('p1'), msg('p2')]);
    await clock.runAll();
    expect(calls).toBe(3);
    expect(errors).toHaveLength(3);
    expect(queue.deadLetters().map((d) => [keyOf(d), d.receiveCount, d.deadAt])).toEqual([
      ['p1', 3, 200],
      ['p2', 3, 200],
    ]);
    expect(queue.stats()).toMatchObject({ visible: 0, invisible: 0, dead: 2 });
  });

  it('treats an unknown itemIdentifier as a failure of the whole batch, as Lambda does', async () => {
    const { clock, queue, calls } = setup({ maxReceiveCount: 2 });
    queue.consume((records) => {
      calls.push({ at: clock.now(), keys: records.map(keyOf), counts: records.map((r) => r.receiveCount) });
      return { batchItemFailures: [{ itemIdentifier: 'no-such-id' }] };
    });
    await queue.send([msg('a'), msg('b')]);
    await clock.runAll();
    expect(calls.map((c) => c.counts)).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(queue.deadLetters()).toHaveLength(2);
  });

  it('handles one batch at a time and collects what arrives meanwhile', async () => {
    const { clock, queue } = setup();
    const seen: string[][] = [];
    let release: (() => void) | undefined;
    queue.consume(async (records) => {
      seen.push(records.map(keyOf));
      if (seen.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    await queue.send([msg('first')]);
    await clock.runAll();
    await queue.send([msg('second'), msg('third')]);
    await clock.runAll();
    expect(seen).toEqual([['first']]);
    expect(queue.stats()).toMatchObject({ inFlight: 1, visible: 2 });
    release?.();
    await clock.runAll();
    expect(seen).toEqual([['first'], ['second', 'third']]);
    await queue.idle();
  });

  it('idle resolves once nothing is deliverable; close stops delivery', async () => {
    const { clock, queue } = setup();
    await queue.idle();
    let n = 0;
    queue.consume(() => {
      n++;
    });
    queue.close();
    await expect(queue.send([msg('x')])).rejects.toThrow('closed');
    await clock.runAll();
    expect(n).toBe(0);
    await queue.idle();
  });
});
