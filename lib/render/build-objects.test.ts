// The WorkloadEntry order: suffixOrder must order as comparing the names does (the
// names users' clusters hold), ties (a 32-bit suffix can collide) in listing order.
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { suffixOrder } from './build-objects.ts';

function stableBySuffix(suffixes: readonly string[]): number[] {
  return suffixes.map((_, i) => i).sort((a, b) => ((suffixes[a] as string) < (suffixes[b] as string) ? -1 : (suffixes[a] as string) > (suffixes[b] as string) ? 1 : a - b));
}

const hex8 = (i: number): string => createHash('sha256').update(String(i)).digest('hex').slice(0, 8);

describe('suffixOrder', () => {
  // Hash suffixes, the extremes of the range, and repeats (a 32-bit suffix can collide).
  const suffixes = [...Array.from({ length: 200 }, (_, i) => hex8(i)), 'ffffffff', '00000000', hex8(3), '0000000a', '00000009', hex8(3), 'ffffffff'];

  it('orders as comparing the strings does, ties by index', () => {
    expect(suffixOrder(suffixes)).toEqual(stableBySuffix(suffixes));
  });

  it('orders `<name>-<suffix>` names as comparing the whole names does', () => {
    const names = suffixes.map((s) => `svc-a-1b2c3d4e-${s}`);
    expect(suffixOrder(suffixes).map((i) => names[i])).toEqual([...names].sort());
  });

  it('handles no entries and one entry', () => {
    expect(suffixOrder([])).toEqual([]);
    expect(suffixOrder(['deadbeef'])).toEqual([0]);
  });
});
