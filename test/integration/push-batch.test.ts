// The serverless push step: SQS-shaped records in, debounce in state, ticks as delayed
// messages, keys never lost.
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { handlePushBatch, type PushBatchDeps } from '../../lib/pipeline/push-batch.ts';
import { DEFAULT_DEBOUNCE_CONFIG } from '../../lib/debounce/config.ts';
import type { QueueRecord } from '../../lib/queue/work-queue.ts';
import type { DirtyMessage } from '../../lib/queue/dirty-message.ts';
import { listManifests } from '../../lib/output/manifest-folder.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';
import { detail, instance, service } from '../support/registry-builders.ts';
import { startHarness, type Harness } from '../support/pipeline-harness.ts';

let h: Harness;
let deps: PushBatchDeps;
let n = 0;
beforeEach(async () => {
  h = await startHarness();
  deps = { ...h, debounce: { ...DEFAULT_DEBOUNCE_CONFIG } };
  h.registry.details = [0, 1, 2].map((s) => detail(service({ serviceName: `svc${s}` }), [instance({ endpoints: [`rest://10.1.0.${s + 1}:8080`] })]));
});
afterEach(async () => {
  await h.close();
});

const key = (s: number): string => serviceKeyOf({ environment: '', appId: 'shop', serviceName: `svc${s}` });
function record(message: DirtyMessage | string): QueueRecord {
  n++;
  return { messageId: `m${n}`, body: typeof message === 'string' ? message : JSON.stringify(message), receiveCount: 1, sentAt: h.clock.now() };
}
const watch = (...keys: string[]): QueueRecord => record({ v: 1, keys, reason: 'watch', at: h.clock.now() });
const tick = (): QueueRecord => record({ v: 1, keys: [], reason: 'tick', at: h.clock.now() });

describe('handlePushBatch', () => {
  it('waits for the quiet time, then one tick pushes every key of the cycle', async () => {
    const first = await handlePushBatch([watch(key(0))], deps, 'b1');
    expect(first.decision).toBe('wait');
    expect(h.queue.sent).toEqual([{ message: expect.objectContaining({ reason: 'tick', keys: [] }), delaySeconds: 1 }]);
    await h.clock.advanceBy(400);
    const joined = await handlePushBatch([watch(key(1)), watch(key(0))], deps, 'b2');
    expect(joined.decision).toBe('wait');
    expect(h.queue.sent).toHaveLength(1); // no second tick chain for the same cycle
    await h.clock.advanceBy(600); // the tick arrives early: the cycle was extended
    const early = await handlePushBatch([tick()], deps, 'b3');
    expect(early.decision).toBe('wait');
    expect(h.queue.sent).toHaveLength(2);
    await h.clock.advanceBy(400);
    const due = await handlePushBatch([tick()], deps, 'b4');
    expect(due.decision).toBe('push');
    expect(due.pushed).toEqual([key(0), key(1)].sort());
    expect(await listManifests(h.folder)).toHaveLength(4);
    expect(h.metrics.pushLatencyMs).toEqual([1400]);
    const late = await handlePushBatch([tick()], deps, 'b5');
    expect(late.decision).toBe('idle');
  });

  it('reports an invalid message as a batch item failure and still handles the others', async () => {
    const bad = record('{"v":1,"keys":[7],"reason":"watch","at":1}');
    const junk = record('not json');
    const good = watch(key(2));
    const r = await handlePushBatch([bad, good, junk], deps, 'b');
    expect(r.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }, { itemIdentifier: junk.messageId }]);
    expect(r.invalid).toBe(2);
    expect(h.metrics.get('messages_invalid')).toBe(2);
    expect(r.decision).toBe('wait');
  });

  it('pushes at once when a cycle reaches maxEvents', async () => {
    deps.debounce = { ...deps.debounce, maxEvents: 3 };
    const r = await handlePushBatch([watch(key(0), key(1), key(2))], deps, 'b');
    expect(r.decision).toBe('push');
    expect(await listManifests(h.folder)).toHaveLength(6);
  });

  it('re-queues the keys when the registry cannot be read, instead of losing them', async () => {
    deps.debounce = { ...deps.debounce, maxEvents: 1 };
    h.registry.down = true;
    const r = await handlePushBatch([watch(key(0))], deps, 'b');
    expect(r.decision).toBe('push');
    expect(r.requeued).toEqual([key(0)]);
    expect(r.batchItemFailures).toEqual([]);
    expect(h.queue.sent.at(-1)).toEqual({ message: expect.objectContaining({ keys: [key(0)] }), delaySeconds: 5 });
  });

  it('stops before the time budget and re-queues the rest', async () => {
    deps.debounce = { ...deps.debounce, maxEvents: 3 };
    let left = 60_000;
    deps.remainingMs = () => (left -= 30_000); // 30 s left before the first chunk, 0 before the second
    const r = await handlePushBatch([watch(key(0), key(1), key(2))], deps, 'b');
    expect(r.pushed).toEqual([key(0)]);
    expect(r.requeued).toEqual([key(1), key(2)]);
  });

  it('converges the same under duplicated and reordered messages', async () => {
    deps.debounce = { ...deps.debounce, maxEvents: 2 };
    const records = [watch(key(2)), watch(key(0)), watch(key(2)), watch(key(1)), watch(key(0))];
    for (const r of records.reverse()) await handlePushBatch([r, r], deps, 'b');
    await h.clock.advanceBy(20_000);
    await handlePushBatch([tick()], deps, 'tick');
    expect(await listManifests(h.folder)).toHaveLength(6);
    expect((await h.state.listServices()).items).toHaveLength(3);
  });
});
