// The memory store: the shared StateStore contract, plus what only memory has to show.
import { describe, it, expect } from '@jest/globals';
import { stateStoreContract } from '../../test/support/state-store-contract.ts';
import { createMemoryStateStore } from './memory-store.ts';
import { runCycleStep } from './cycle-step.ts';
import { CorruptStateError, StaleStateError, type StateStore } from './state-store.ts';
import { DEFAULT_DEBOUNCE_CONFIG as config } from '../debounce/config.ts';
import { onEvents, type Cycle } from '../debounce/cycle.ts';

stateStoreContract('memory', async ({ clock, reported }) => {
  const store = createMemoryStateStore({ clock, onCorrupt: reported });
  return {
    store,
    corrupt: async (kind, key, version) => store.injectCorrupt(kind, key, version),
    close: async () => {},
  };
});

describe('memory store', () => {
  it('hands out copies: a caller changing what it read changes nothing stored', async () => {
    const store = createMemoryStateStore();
    await store.putService({ serviceKey: 'p/a/b', objectsHash: 'h1', objects: { 'ServiceEntry/mesh/b': '1111' }, lastPushAt: 1 }, undefined);
    const read = await store.getService('p/a/b');
    if (read === undefined) throw new Error('missing');
    read.objects['WorkloadEntry/mesh/b-1'] = '2222';
    read.objectsHash = 'mutated';
    expect(await store.getService('p/a/b')).toMatchObject({ objectsHash: 'h1', objects: { 'ServiceEntry/mesh/b': '1111' } });
  });

  it('throws CorruptStateError for a cycle whose version is unreadable too', async () => {
    const store = createMemoryStateStore({ onCorrupt: () => {} });
    store.injectCorrupt('cycle', 'push', undefined);
    await expect(store.getCycle()).rejects.toThrow(CorruptStateError);
  });

  it('drops expired run records as it records new ones', async () => {
    let now = 10 * 86_400_000;
    const store = createMemoryStateStore({ clock: { now: () => now }, runRetentionMs: 1000 });
    await store.recordRun({ id: 'old', kind: 'sync', startedAt: now, finishedAt: now, outcome: 'ok', counts: {} });
    now += 5000;
    await store.recordRun({ id: 'new', kind: 'sync', startedAt: now, finishedAt: now, outcome: 'ok', counts: {} });
    now -= 5000; // even with the clock turned back, the dropped record stays dropped
    expect((await store.recentRuns()).map((r) => r.id)).toEqual(['new']);
  });
});

describe('runCycleStep', () => {
  it('gives up with StaleStateError when it keeps losing', async () => {
    const alwaysLoses: Pick<StateStore, 'getCycle' | 'casCycle'> = {
      getCycle: async () => ({ value: null, version: 3 }),
      casCycle: async () => false,
    };
    const error = await runCycleStep(alwaysLoses, (s: Cycle) => onEvents(s, ['k'], 0, config), { maxAttempts: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleStateError);
    expect((error as Error).message).toMatch(/CYCLE\/push: changed since read \(expected version 3\)/);
  });
});
