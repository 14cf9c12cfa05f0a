import { describe, expect, it } from '@jest/globals';
import { SERVICE_LABEL } from '../model/ownership.ts';
import type { ClusterTarget, LiveObject } from './contracts.ts';
import { LIST_ALL_ABOVE, readLiveObjects, selectorChunks, SELECTOR_NAMES_MAX_CHARS } from './live-objects.ts';

describe('selectorChunks', () => {
  it('keeps every name once, in order, each run within the character budget', () => {
    const names = Array.from({ length: 300 }, (_, i) => `svc${i}-app${i % 20}-${'abcdef12'.slice(0, 1 + (i % 8))}`);
    const chunks = selectorChunks(names, 500);
    expect(chunks.flat()).toEqual(names);
    for (const chunk of chunks) expect(chunk.join(',').length).toBeLessThanOrEqual(500);
    expect(chunks.length).toBeGreaterThan(1);
  });

  it('puts 100 names of the usual length in one list', () => {
    const names = Array.from({ length: 100 }, (_, i) => `svc${String(i).padStart(4, '0')}-app07-7b6066d9`);
    expect(selectorChunks(names)).toHaveLength(1);
  });

  it('still lists a name longer than the budget, alone', () => {
    expect(selectorChunks(['a'.repeat(10), 'b', 'c'], 5)).toEqual([['a'.repeat(10)], ['b', 'c']]);
  });
});

describe('readLiveObjects', () => {
  const live = (name: string, service: string): LiveObject => ({ kind: 'WorkloadEntry', namespace: 'ns', name, labels: { [SERVICE_LABEL]: service }, annotations: {} });

  function cluster(calls: ({ services?: readonly string[] } | undefined)[]): Pick<ClusterTarget, 'listOwned'> {
    return {
      listOwned: async (filter) => {
        calls.push(filter);
        const wanted = filter?.services ?? ['a', 'b'];
        return wanted.map((s) => live(`${s}-1`, s));
      },
    };
  }

  it('lists by selector up to the budget and maps objects to their service', async () => {
    const calls: ({ services?: readonly string[] } | undefined)[] = [];
    const names = Array.from({ length: 150 }, (_, i) => `service-name-${String(i).padStart(3, '0')}-0123abcd`);
    const out = await readLiveObjects(cluster(calls), [...names, names[0] as string]);
    const perList = Math.floor(SELECTOR_NAMES_MAX_CHARS / ((names[0] as string).length + 1));
    expect(calls).toHaveLength(Math.ceil(150 / perList));
    expect(out.size).toBe(150);
    expect(out.get(names[3] as string)?.map((o) => o.name)).toEqual([`${names[3]}-1`]);
  });

  it('reads the whole owned set once above LIST_ALL_ABOVE services', async () => {
    const calls: ({ services?: readonly string[] } | undefined)[] = [];
    const names = Array.from({ length: LIST_ALL_ABOVE + 1 }, (_, i) => `s${i}`);
    const out = await readLiveObjects(cluster(calls), names);
    expect(calls).toEqual([{}]);
    expect(out.get('s5')).toEqual([]);
  });
});
