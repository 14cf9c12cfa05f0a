import { describe, expect, it } from '@jest/globals';
import { EVERY, group, map, ORDERS, rule, ruleSet } from '../../test/support/governance-rules.ts';
import { mapGovernance } from './map-rules.ts';
import { callersOf, intersect, parseServiceList, providerScope, selectorMatches } from './scope.ts';
import { rulesGoverningNothing } from './unused.ts';

describe('which services a rule governs', () => {
  it('reads services lists of names and name:version', () => {
    expect(parseServiceList(undefined)).toBe('everyone');
    expect(parseServiceList(' , ')).toBe('everyone');
    expect(parseServiceList('a, b:1.0.0,b:2.0.0,c:1,c')).toEqual(
      new Map<string, unknown>([
        ['a', 'all'],
        ['b', new Set(['1.0.0', '2.0.0'])],
        ['c', 'all'],
      ]),
    );
  });

  it('intersects a policy\'s list with its match group\'s: both must load the rule', () => {
    expect(intersect('everyone', parseServiceList('a'))).toEqual(parseServiceList('a'));
    expect(intersect(parseServiceList('a,b:1'), parseServiceList('b,c'))).toEqual(new Map([['b', new Set(['1'])]]));
    expect(intersect(parseServiceList('a:1'), parseServiceList('a:2'))).toEqual(new Map());
  });

  it('scopes a provider-side rule to the providers (and versions) it names', () => {
    expect(providerScope('everyone', ORDERS)).toEqual({ governs: true, versions: 'all' });
    expect(providerScope(parseServiceList('orders'), ORDERS)).toEqual({ governs: true, versions: 'all' });
    expect(providerScope(parseServiceList('orders:2.0.0,orders:9'), ORDERS)).toEqual({ governs: true, versions: ['2.0.0'] });
    expect(providerScope(parseServiceList('orders:1.0.0,orders:2.0.0'), ORDERS)).toEqual({ governs: true, versions: 'all' });
    expect(providerScope(parseServiceList('payments'), ORDERS)).toEqual({ governs: false });
    expect(providerScope(parseServiceList('orders:9'), ORDERS)).toEqual({ governs: false });
  });

  it('lists a consumer-side rule\'s callers, sorted', () => {
    expect(callersOf(parseServiceList('web:2,admin'))).toEqual([
      { name: 'admin', version: undefined },
      { name: 'web', version: '2' },
    ]);
  });

  it('matches the selector on app and environment', () => {
    expect(selectorMatches({ app: 'shop', environment: 'production' }, ORDERS)).toBe(true);
    expect(selectorMatches({ app: 'shop', environment: '' }, ORDERS)).toBe(false);
    expect(selectorMatches({ app: 'shop' }, { ...ORDERS, environment: '' })).toBe(true);
    expect(selectorMatches({ environment: 'production' }, ORDERS)).toBe(false);
  });

  it('ignores rules of another app or environment', () => {
    const other = { selector: { app: 'billing', environment: 'production' } };
    const result = map([group('g', EVERY, other), rule('loadbalance', 'g', { rule: 'Random' }, other)]);
    expect(result.trafficPolicy).toBeUndefined();
    expect(result.report.rules).toEqual([]);
  });

  it('honours kie service labels: a provider-side rule delivered to another service is not this one\'s', () => {
    const forPayments = { selector: { app: 'shop', environment: 'production', service: 'payments' } };
    const result = map([group('g', EVERY), rule('bulkhead', 'g', { maxConcurrentCalls: 3 }, forPayments)]);
    expect(result.trafficPolicy).toBeUndefined();
    const forOrders = { selector: { app: 'shop', environment: 'production', service: 'orders' } };
    expect(map([group('g', EVERY), rule('bulkhead', 'g', { maxConcurrentCalls: 3 }, forOrders)]).trafficPolicy).toEqual({ connectionPool: { http: { http2MaxRequests: 3 } } });
  });

  it('leaves out a provider-side rule whose services name another provider, silently', () => {
    const result = map([group('g', EVERY), rule('bulkhead', 'g', { maxConcurrentCalls: 3, services: 'payments' })]);
    expect(result.trafficPolicy).toBeUndefined();
    expect(result.report.rules).toEqual([]);
  });

  it('leaves out a consumer-side rule whose entries all name another target', () => {
    const result = map([group('g', [{ serviceName: 'payments' }]), rule('retry', 'g', {})]);
    expect(result.virtualService).toBeUndefined();
    expect(result.report.rules).toEqual([]);
  });

  it('lists the rules no service\'s report mentions', () => {
    const set = ruleSet([group('g', [{ serviceName: 'payments' }]), rule('retry', 'g', {}), group('h', EVERY), rule('retry', 'h', {})]);
    const report = mapGovernance(ORDERS, set, { namespace: 'mesh', source: 'default', extraLabels: {}, rateLimiting: { enabled: false } }).report;
    expect(rulesGoverningNothing(set, [report])).toEqual([
      { kind: 'match-group', name: 'g', id: 'match-group-g' },
      { kind: 'retry', name: 'g', id: 'retry-g' },
    ]);
  });
});
