// A match group (java-chassis TrafficMarker) as VirtualService HTTPMatchRequests for one
// provider. Entries are ORed, conditions inside one are ANDed, in Istio as in ServiceComb.
// An entry Istio cannot express (compare, customMatcher, an unknown operator) is left
// out: the rule then governs fewer requests than in ServiceComb, never more. Envoy's
// regex match is a full match (RE2); values are escaped as Go's regexp.QuoteMeta does.
import { appLabelFor, versionLabelFor } from '../names/service-names.ts';
import type { HTTPMatchRequest, StringMatch } from './istio-types.ts';
import type { Side } from './kinds.ts';
import type { RowId } from './mapping-table.ts';
import type { Match, MatchGroupRule, OperatorMap } from './rules.ts';
import type { Caller } from './scope.ts';

/** Records a fate for the rule being read: the row, the field, what is particular. */
export type Note = (row: RowId, field: string, detail?: string) => void;

export type GroupMatch = { kind: 'all' } | { kind: 'some'; matches: HTTPMatchRequest[] } | { kind: 'none' };

/** `targeted`: some entry is about this provider (a consumer-side entry may name another target). */
export type ConvertedGroup = GroupMatch & { targeted: boolean };

const RE2_SPECIAL = /[\\.+*?()|[\]{}^$]/g;

export function quoteRegex(text: string): string {
  return text.replace(RE2_SPECIAL, '\\$&');
}

type Place = 'uri' | 'header' | 'query';
type Converted = StringMatch | 'never' | 'unsupported';

const OPERATORS = new Set(['exact', 'prefix', 'suffix', 'contains', 'compare']);

function singleRow(place: Place, operator: 'exact' | 'prefix' | 'suffix' | 'contains'): RowId {
  if (place === 'query') return 'match.queries';
  const plain = operator === 'exact' || operator === 'prefix';
  if (place === 'uri') return plain ? 'match.apiPath.exact-prefix' : 'match.apiPath.suffix-contains';
  return plain ? 'match.headers.exact-prefix' : 'match.headers.suffix-contains';
}

/** One operator map (all its operators ANDed, as RawOperator does). */
export function convertOperators(map: OperatorMap, field: string, place: Place, note: Note): Converted {
  const operators = Object.keys(map);
  if (operators.length === 0) {
    note('match.empty-operator', field);
    return 'never';
  }
  const unknown = operators.filter((o) => !OPERATORS.has(o)).sort();
  if (unknown.length > 0) {
    note('match.unknown-operator', `${field}.${unknown[0] as string}`, `operator ${unknown.join(', ')}`);
    return 'unsupported';
  }
  if (map['compare'] !== undefined) {
    note('match.compare', `${field}.compare`);
    return 'unsupported';
  }
  const { exact, prefix, suffix, contains } = map;
  if (exact !== undefined) {
    if (operators.length === 1) {
      note(singleRow(place, 'exact'), `${field}.exact`);
      return { exact };
    }
    const holds = (prefix === undefined || exact.startsWith(prefix)) && (suffix === undefined || exact.endsWith(suffix)) && (contains === undefined || exact.includes(contains));
    note('match.operators-exact', field, holds ? undefined : 'they contradict each other: the entry never matches and is left out');
    return holds ? { exact } : 'never';
  }
  if (operators.length === 1) {
    if (prefix !== undefined) {
      note(singleRow(place, 'prefix'), `${field}.prefix`);
      return place === 'query' ? { regex: `^${quoteRegex(prefix)}.*` } : { prefix };
    }
    if (suffix !== undefined) {
      note(singleRow(place, 'suffix'), `${field}.suffix`);
      return { regex: `.*${quoteRegex(suffix)}$` };
    }
    note(singleRow(place, 'contains'), `${field}.contains`);
    return { regex: `.*${quoteRegex(contains as string)}.*` };
  }
  note('match.operators-and', field);
  const head = prefix === undefined ? '' : quoteRegex(prefix);
  const middle = contains === undefined ? '' : `${quoteRegex(contains)}.*`;
  const tail = suffix === undefined ? '' : quoteRegex(suffix);
  return { regex: `^${head}.*${middle}${tail}$` };
}

/** Istio wants header names in lower case; two spellings of one header are ANDed, unless they disagree. */
function lowerCaseHeaders(headers: Readonly<Record<string, OperatorMap>>): Map<string, { map: OperatorMap; names: string[] }> | string {
  const out = new Map<string, { map: OperatorMap; names: string[] }>();
  for (const name of Object.keys(headers).sort()) {
    const lower = name.toLowerCase();
    const map = headers[name] as OperatorMap;
    const seen = out.get(lower);
    if (seen === undefined) {
      out.set(lower, { map: { ...map }, names: [name] });
      continue;
    }
    for (const [op, value] of Object.entries(map)) {
      if (seen.map[op] !== undefined && seen.map[op] !== value) return `header ${seen.names[0] as string} and ${name} disagree on ${op}`;
      seen.map[op] = value;
    }
    seen.names.push(name);
  }
  return out;
}

type EntryResult = { kind: 'match'; match: HTTPMatchRequest; conditions: number } | { kind: 'skip' } | { kind: 'other-target' };

function convertEntry(entry: Match, base: string, side: Side, serviceName: string, note: Note): EntryResult {
  const named = entry.serviceName !== undefined && entry.serviceName !== '' ? entry.serviceName : undefined;
  // A consumer-side entry names its target: another service's entry is not this host's.
  if (side === 'consumer' && named !== undefined && named !== serviceName) return { kind: 'other-target' };
  if (entry.customMatcher !== undefined) {
    note('match.customMatcher', `${base}.customMatcher`);
    return { kind: 'skip' };
  }
  let conditions = 0;
  let sourceLabels: Record<string, string> | undefined;
  if (named !== undefined) {
    if (side === 'consumer') note('match.serviceName.consumer', `${base}.serviceName`);
    else {
      sourceLabels = { app: appLabelFor(named) };
      note('match.serviceName.provider', `${base}.serviceName`);
      conditions++;
    }
  }
  let method: StringMatch | undefined;
  if (entry.method !== undefined) {
    const methods = [...new Set(entry.method)];
    if (methods.length === 0) {
      note('match.empty-operator', `${base}.method`, 'an empty method list');
      return { kind: 'skip' };
    }
    note('match.method', `${base}.method`);
    method = methods.length === 1 ? { exact: methods[0] as string } : { regex: `^(${methods.map(quoteRegex).join('|')})$` };
    conditions++;
  }
  let uri: StringMatch | undefined;
  if (entry.apiPath !== undefined) {
    const converted = convertOperators(entry.apiPath, `${base}.apiPath`, 'uri', note);
    if (typeof converted === 'string') return { kind: 'skip' };
    uri = converted;
    conditions++;
  }
  let headers: Record<string, StringMatch> | undefined;
  if (entry.headers !== undefined && Object.keys(entry.headers).length > 0) {
    const lowered = lowerCaseHeaders(entry.headers);
    if (typeof lowered === 'string') {
      note('match.operators-and', `${base}.headers`, `${lowered}: the entry is left out`);
      return { kind: 'skip' };
    }
    headers = {};
    for (const [name, { map, names }] of lowered) {
      const converted = convertOperators(map, `${base}.headers.${names[0] as string}`, 'header', note);
      if (typeof converted === 'string') return { kind: 'skip' };
      headers[name] = converted;
      conditions++;
    }
  }
  let queryParams: Record<string, StringMatch> | undefined;
  if (entry.queries !== undefined && Object.keys(entry.queries).length > 0) {
    queryParams = {};
    for (const name of Object.keys(entry.queries).sort()) {
      const converted = convertOperators(entry.queries[name] as OperatorMap, `${base}.queries.${name}`, 'query', note);
      if (typeof converted === 'string') return { kind: 'skip' };
      queryParams[name] = converted;
      conditions++;
    }
  }
  // Built in one key order, so equal matches serialise equally.
  const match: HTTPMatchRequest = {};
  if (uri !== undefined) match.uri = uri;
  if (method !== undefined) match.method = method;
  if (headers !== undefined) match.headers = headers;
  if (queryParams !== undefined) match.queryParams = queryParams;
  if (sourceLabels !== undefined) match.sourceLabels = sourceLabels;
  return { kind: 'match', match, conditions };
}

/**
 * The group's entries as seen by a rule of `side` on the provider `serviceName`: `all`
 * when some entry takes every request, `none` when no entry is left.
 */
export function convertMatchGroup(group: MatchGroupRule, side: Side, serviceName: string, note: Note): ConvertedGroup {
  const matches: HTTPMatchRequest[] = [];
  const seen = new Set<string>();
  let all = false;
  let anded = false;
  let targeted = false;
  group.spec.matches.forEach((entry, i) => {
    const result = convertEntry(entry, `spec.matches[${i}]`, side, serviceName, note);
    if (result.kind === 'other-target') return;
    targeted = true;
    if (result.kind === 'skip') return;
    if (result.conditions === 0) all = true;
    if (result.conditions > 1) anded = true;
    const key = JSON.stringify(result.match);
    if (!seen.has(key)) {
      seen.add(key);
      matches.push(result.match);
    }
  });
  if (matches.length > 1) note('match.matches', 'spec.matches');
  if (anded) note('match.and', 'spec.matches');
  if (all) return { kind: 'all', targeted };
  if (matches.length === 0) return { kind: 'none', targeted };
  return { kind: 'some', matches, targeted };
}

/** A consumer-side rule loaded only by some callers: each match once per caller, selected by its labels. */
export function restrictToCallers(group: GroupMatch, callers: 'everyone' | readonly Caller[]): GroupMatch {
  if (callers === 'everyone' || group.kind === 'none') return group;
  const bases = group.kind === 'all' ? [{}] : group.matches;
  const matches: HTTPMatchRequest[] = [];
  for (const base of bases) {
    for (const caller of callers) {
      const labels: Record<string, string> = { app: appLabelFor(caller.name) };
      if (caller.version !== undefined) labels['version'] = versionLabelFor(caller.version);
      matches.push({ ...base, sourceLabels: { ...base.sourceLabels, ...labels } });
    }
  }
  return matches.length === 0 ? { kind: 'none' } : { kind: 'some', matches };
}
