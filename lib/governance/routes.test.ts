// How route-level policies of several groups share a host's VirtualService routes.
import { describe, expect, it } from '@jest/globals';
import { assertValidGovernanceObjects } from '../../test/support/governance-crds.ts';
import { EVERY, fateOf, fieldOf, group, map, routes, rule } from '../../test/support/governance-rules.ts';
import { DEFAULT_ROUTE } from './routes.ts';

describe('governance routes', () => {
  it('puts policies of groups that match the same requests on one route', () => {
    const result = map([group('a', [{ apiPath: { prefix: '/x' } }]), group('b', [{ apiPath: { prefix: '/x' } }]), rule('retry', 'a', { maxAttempts: 1 }), rule('time-limiter', 'b', { timeoutDuration: '4s' })]);
    expect(routes(result).map((r) => [r.name, r.retries?.attempts, r.retries?.perTryTimeout])).toEqual([
      ['a', 1, '4s'],
      [DEFAULT_ROUTE, undefined, undefined],
    ]);
    expect(result.virtualService?.metadata.annotations['sc2mesh.io/governance-rules']).toBe('match-group/a,match-group/b,retry/a,time-limiter/b');
  });

  it('lets a forced-open breaker win the fault over a fault injection on the same requests', () => {
    const result = map([group('g', EVERY), rule('fault-injection', 'g', { type: 'delay', delayTime: '1s', percentage: 100, order: -5 }), rule('circuit-breaker', 'g', { forceOpen: true })]);
    expect(routes(result)[0]?.fault).toEqual({ abort: { httpStatus: 503, percentage: { value: 100 } } });
    expect(fieldOf(result, 'fault-injection', 'g', 'policy.shadowed').note).toContain('forced open');
  });

  it('takes a match-all policy of a smaller order over a narrower one, and drops a route left with nothing of its own', () => {
    const result = map([group('every', EVERY), group('api', [{ apiPath: { prefix: '/api' } }]), rule('retry', 'every', { order: 0, maxAttempts: 1 }), rule('retry', 'api', { order: 9, maxAttempts: 5 })]);
    expect(routes(result).map((r) => [r.name, r.retries?.attempts])).toEqual([['every', 1]]);
    expect(fateOf(result, 'retry', 'api').fit).toBe('not-mapped');
    expect(fieldOf(result, 'retry', 'api', 'policy.shadowed').note).toContain('whose group matches every request');
  });

  it('keeps route names unique when group names sanitise alike', () => {
    const result = map([group('Api', [{ apiPath: { prefix: '/a' } }]), group('api', [{ apiPath: { prefix: '/b' } }]), rule('retry', 'Api', {}), rule('retry', 'api', { order: 1 })]);
    const names = routes(result).map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toMatch(/^api-[0-9a-f]{8}$/);
    assertValidGovernanceObjects([result.virtualService]);
  });

  it('orders routes by their smallest own order, then by their matches', () => {
    const result = map([
      group('late', [{ apiPath: { prefix: '/l' } }]),
      group('early', [{ apiPath: { prefix: '/e' } }]),
      rule('retry', 'late', { order: 5 }),
      rule('time-limiter', 'late', { order: -1 }),
      rule('retry', 'early', { order: 0 }),
    ]);
    expect(routes(result).map((r) => r.name)).toEqual(['late', 'early', DEFAULT_ROUTE]);
  });
});
