import { describe, expect, it } from '@jest/globals';
import { group, ruleSet } from '../../test/support/governance-rules.ts';
import type { RowId } from './mapping-table.ts';
import { convertMatchGroup, convertOperators, quoteRegex, restrictToCallers, type Note } from './match.ts';
import type { MatchGroupRule } from './rules.ts';

function recorder(): { note: Note; rows: [RowId, string, string | undefined][] } {
  const rows: [RowId, string, string | undefined][] = [];
  return { note: (row, field, detail) => void rows.push([row, field, detail]), rows };
}

function matchGroup(matches: unknown[]): MatchGroupRule {
  return ruleSet([group('g', matches)]).matchGroups[0] as MatchGroupRule;
}

describe('match groups as HTTPMatchRequests', () => {
  it('escapes every RE2 special character, as Go\'s QuoteMeta does', () => {
    expect(quoteRegex('a.b*c+d?e(f)g[h]i{j}k|l^m$n\\o/p-q')).toBe('a\\.b\\*c\\+d\\?e\\(f\\)g\\[h\\]i\\{j\\}k\\|l\\^m\\$n\\\\o/p-q');
    expect(new RegExp(`^${quoteRegex('(a|b).*')}$`).test('(a|b).*')).toBe(true);
  });

  it('builds regexes that match the same values as the java-chassis operators', () => {
    const { note } = recorder();
    const values = ['/api/v1.json', '/api/v1xjson', '/x/api/v1.json', '/api/', '.json'];
    const check = (map: Record<string, string>, expected: (v: string) => boolean): void => {
      const converted = convertOperators(map, 'f', 'uri', note);
      if (typeof converted === 'string' || !('regex' in converted)) throw new Error(`expected a regex, got ${JSON.stringify(converted)}`);
      // Envoy's regex match is a full match.
      const re = new RegExp(`^(?:${converted.regex})$`);
      for (const v of values) expect([v, re.test(v)]).toEqual([v, expected(v)]);
    };
    check({ suffix: '.json' }, (v) => v.endsWith('.json'));
    check({ contains: 'v1.' }, (v) => v.includes('v1.'));
    check({ prefix: '/api/', suffix: '.json' }, (v) => v.startsWith('/api/') && v.endsWith('.json') && v.length >= '/api/.json'.length);
  });

  it('reads a query prefix as a regex, Istio having no prefix there', () => {
    const { note, rows } = recorder();
    expect(convertOperators({ prefix: 'a.b' }, 'q', 'query', note)).toEqual({ regex: '^a\\.b.*' });
    expect(rows).toEqual([['match.queries', 'q.prefix', undefined]]);
  });

  it('ANDs two spellings of one header, and leaves the entry out when they disagree', () => {
    const { note } = recorder();
    const agree = convertMatchGroup(matchGroup([{ headers: { 'X-A': { prefix: 'a' }, 'x-a': { suffix: 'z' } } }]), 'consumer', 'orders', note);
    expect(agree).toEqual({ kind: 'some', targeted: true, matches: [{ headers: { 'x-a': { regex: '^a.*z$' } } }] });
    const { note: note2, rows } = recorder();
    const disagree = convertMatchGroup(matchGroup([{ headers: { 'X-A': { exact: 'a' }, 'x-a': { exact: 'b' } } }]), 'consumer', 'orders', note2);
    expect(disagree).toEqual({ kind: 'none', targeted: true });
    expect(rows[0]?.[2]).toContain('disagree on exact');
  });

  it('reads an entry without conditions as every request', () => {
    const { note } = recorder();
    expect(convertMatchGroup(matchGroup([{ name: 'any' }, { apiPath: { prefix: '/a' } }]), 'consumer', 'orders', note)).toEqual({ kind: 'all', targeted: true });
    expect(convertMatchGroup(matchGroup([{ serviceName: 'orders' }]), 'consumer', 'orders', note)).toEqual({ kind: 'all', targeted: true });
  });

  it('drops duplicate entries', () => {
    const { note } = recorder();
    expect(convertMatchGroup(matchGroup([{ apiPath: { exact: '/a' } }, { apiPath: { exact: '/a' } }]), 'consumer', 'orders', note)).toEqual({ kind: 'some', targeted: true, matches: [{ uri: { exact: '/a' } }] });
  });

  it('tells a group about other targets from one whose entries Istio cannot express', () => {
    const { note, rows } = recorder();
    expect(convertMatchGroup(matchGroup([{ serviceName: 'payments', apiPath: { compare: '>1' } }]), 'consumer', 'orders', note)).toEqual({ kind: 'none', targeted: false });
    expect(rows).toEqual([]);
    expect(convertMatchGroup(matchGroup([{ serviceName: 'payments' }]), 'provider', 'orders', note)).toEqual({ kind: 'some', targeted: true, matches: [{ sourceLabels: { app: 'payments' } }] });
  });

  it('restricts to callers by their app and version labels', () => {
    const callers = [
      { name: 'web', version: undefined },
      { name: 'admin', version: '1.0.0' },
    ];
    expect(restrictToCallers({ kind: 'all' }, callers)).toEqual({
      kind: 'some',
      matches: [{ sourceLabels: { app: 'web' } }, { sourceLabels: { app: 'admin', version: '1.0.0' } }],
    });
    expect(restrictToCallers({ kind: 'all' }, 'everyone')).toEqual({ kind: 'all' });
  });
});
