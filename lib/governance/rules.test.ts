import { describe, expect, it } from '@jest/globals';
import { group, rule } from '../../test/support/governance-rules.ts';
import { GOVERNANCE_KINDS } from './kinds.ts';
import { parseGovernance, parseRuleList } from './rules.ts';

describe('governance rules at the boundary', () => {
  it('reads a list answer: match groups and policies, selector and spec kept', () => {
    const set = parseRuleList('retry', [rule('retry', 'api', { maxAttempts: 2, waitDuration: '10s', retryOnResponseStatus: [502, '503'], order: '3' })]);
    expect(set.rejected).toEqual([]);
    expect(set.policies).toEqual([
      { kind: 'retry', name: 'api', id: 'retry-api', selector: { app: 'shop', environment: 'production' }, spec: { maxAttempts: 2, waitDuration: 10_000, retryOnResponseStatus: ['502', '503'], order: 3 } },
    ]);
    const groups = parseRuleList('match-group', [group('api', [{ name: 'a', apiPath: { exact: 1 }, headers: { X: { prefix: true } } }])]);
    expect(groups.matchGroups[0]?.spec.matches).toEqual([{ name: 'a', apiPath: { exact: '1' }, headers: { X: { prefix: 'true' } } }]);
  });

  it('skips a disabled rule and lists it', () => {
    const set = parseRuleList('retry', [rule('retry', 'off', {}, { status: 'disabled' }), rule('retry', 'on', {})]);
    expect(set.policies.map((p) => p.name)).toEqual(['on']);
    expect(set.disabled).toEqual([{ kind: 'retry', name: 'off', id: 'retry-off' }]);
  });

  it('rejects a bad rule naming the field and the value, and keeps the others', () => {
    const set = parseRuleList('retry', [rule('retry', 'bad', { maxAttempts: -1 }), rule('retry', 'good', { maxAttempts: 1 }), rule('retry', 'worse', { waitDuration: 'soon' })]);
    expect(set.policies.map((p) => p.name)).toEqual(['good']);
    expect(set.rejected).toEqual([
      { kind: 'retry', name: 'bad', id: 'retry-bad', field: 'spec.maxAttempts', value: -1, message: expect.stringMatching(/^retry "bad" \(id retry-bad\): spec\.maxAttempts: .*\(got -1\)$/) },
      { kind: 'retry', name: 'worse', id: 'retry-worse', field: 'spec.waitDuration', value: 'soon', message: expect.stringContaining('spec.waitDuration: expected milliseconds (e.g. 500) or an ISO-8601 duration') },
    ]);
  });

  it('rejects an envelope without its fields, naming the entry when the name is missing', () => {
    const set = parseRuleList('loadbalance', [{ id: 'x', status: 'enabled', spec: { rule: 'Random' } }, { ...rule('loadbalance', 'y', { rule: 'Random' }), status: 'paused' }]);
    expect(set.rejected.map((r) => [r.field, r.message])).toEqual([
      ['name', expect.stringMatching(/^loadbalance \(unnamed\) \(id x\): name: .* \(entry 0\)$/)],
      ['status', expect.stringContaining('loadbalance "y" (id loadbalance-y): status:')],
    ]);
  });

  it('rejects a rule listed under another kind than it says', () => {
    const set = parseRuleList('retry', [{ ...rule('retry', 'r', {}), kind: 'bulkhead' }]);
    expect(set.rejected).toEqual([expect.objectContaining({ field: 'kind', value: 'bulkhead', message: 'retry "r" (id retry-r): kind: listed under retry but says "bulkhead"' })]);
  });

  it('reports a list that is not an array, and reads an empty body as an empty list', () => {
    expect(parseRuleList('retry', { total: 0, data: [] }).rejected).toEqual([
      { kind: 'retry', name: undefined, id: undefined, field: '(root)', value: { total: 0, data: [] }, message: 'retry: expected a JSON array of rules (got {"total":0,"data":[]})' },
    ]);
    expect(parseRuleList('retry', undefined)).toEqual({ matchGroups: [], policies: [], disabled: [], rejected: [] });
  });

  it('applies java-chassis constraints: abort status, backoff interval, percentages, enums', () => {
    const bad = (kind: Parameters<typeof rule>[0], spec: Record<string, unknown>): string | undefined => parseRuleList(kind, [rule(kind, 'x', spec)]).rejected[0]?.field;
    expect(bad('fault-injection', { type: 'abort', errorCode: 700 })).toBe('spec.errorCode');
    expect(bad('fault-injection', { type: 'delay', errorCode: 700 })).toBeUndefined();
    expect(bad('fault-injection', { type: 'Abort' })).toBe('spec.type');
    expect(bad('retry', { retryStrategy: 'RandomBackoff', initialInterval: 5 })).toBe('spec.initialInterval');
    expect(bad('retry', { retryOnResponseStatus: ['5xx'] })).toBe('spec.retryOnResponseStatus[0]');
    expect(bad('circuit-breaker', { failureRateThreshold: 0 })).toBe('spec.failureRateThreshold');
    expect(bad('circuit-breaker', { slidingWindowSize: 'long' })).toBe('spec.slidingWindowSize');
    expect(bad('rate-limiting', { rate: 0 })).toBe('spec.rate');
    expect(bad('rate-limiting', { limitRefreshPeriod: 0 })).toBe('spec.limitRefreshPeriod');
    expect(bad('bulkhead', { maxConcurrentCalls: 2 ** 31 })).toBe('spec.maxConcurrentCalls');
    expect(bad('loadbalance', {})).toBe('spec.rule');
    expect(bad('identifier-rate-limiting', { rate: 1 })).toBe('spec.identifier');
    expect(bad('match-group', { matches: [] })).toBe('spec.matches');
    expect(bad('match-group', { matches: [{ method: 'GET' }] })).toBe('spec.matches[0].method');
  });

  it('reads YAML nulls and empty durations as absent (java-chassis: the default)', () => {
    const set = parseRuleList('retry', [rule('retry', 'r', { maxAttempts: null, waitDuration: '', services: null })]);
    expect(set.policies[0]?.spec).toEqual({});
  });

  it('merges every kind, sorted, and ignores kinds it was not given', () => {
    const set = parseGovernance({ retry: [rule('retry', 'b', {}), rule('retry', 'a', {})], bulkhead: [rule('bulkhead', 'a', {})], 'match-group': [group('a', [{}])] });
    expect(set.policies.map((p) => `${p.kind}/${p.name}`)).toEqual(['bulkhead/a', 'retry/a', 'retry/b']);
    expect(set.matchGroups.map((g) => g.name)).toEqual(['a']);
    expect(GOVERNANCE_KINDS).toHaveLength(11);
  });
});
