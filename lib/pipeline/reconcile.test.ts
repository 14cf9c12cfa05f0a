import { describe, it, expect } from '@jest/globals';
import { auditShardsAt } from './reconcile.ts';
import { AUDIT_SHARDS } from '../names/service-names.ts';

describe('auditShardsAt', () => {
  it.each([1, 5, 7, 15, 60, 90])('covers every shard within %i minutes', (period) => {
    const seen = new Set<number>();
    const start = 1_700_000_040_000;
    for (let minute = 0; minute < period; minute++) for (const s of auditShardsAt(start + minute * 60_000, period)) seen.add(s);
    expect(seen.size).toBe(AUDIT_SHARDS);
  });

  it('looks at a small slice per minute', () => {
    expect(auditShardsAt(0, 15)).toEqual([0, 1, 2, 3]);
    expect(auditShardsAt(60_000, 15)).toEqual([4, 5, 6, 7]);
  });
});
