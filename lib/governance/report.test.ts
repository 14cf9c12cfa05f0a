import { describe, expect, it } from '@jest/globals';
import { EVERY, group, map, rule } from '../../test/support/governance-rules.ts';
import { reportLines } from './report.ts';

describe('governance report', () => {
  it('says per rule what it became, and per field what differs', () => {
    const result = map([group('g', EVERY), rule('retry', 'g', { maxAttempts: 2 }), rule('loadbalance', 'g', { rule: 'RoundRobin' }), rule('rate-limiting', 'g', {})]);
    expect(reportLines(result.report)).toEqual([
      'loadbalance/g: exact → DestinationRule',
      'match-group/g: exact → VirtualService, DestinationRule',
      'rate-limiting/g: not-mapped',
      '  spec (not-mapped) —: EnvoyFilters are written only when the operator turns rate limiting on',
      'retry/g: approximate → VirtualService',
      '  spec.retryOnResponseStatus (approximate) retryOn: connect-failure,refused-stream,reset: ServiceComb decides by exception class',
      "  spec.waitDuration (approximate) backoff: the base of Envoy's exponential jittered backoff, not a fixed wait; default 1 ms",
    ]);
    expect(reportLines(result.report, { all: true })).toContain('  spec.rule (exact) simple: ROUND_ROBIN');
  });
});
