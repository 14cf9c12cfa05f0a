// The VirtualService routes of one host from its route-level policies. ServiceComb picks
// each kind's policy on its own (the smallest order among the groups a request matches);
// Envoy takes the first matching route and everything on it. So policies whose groups
// match the same requests share one route, a group that matches every request becomes
// the final route and lends its policies to every earlier route that lacks one of that
// kind (or has one of a larger order), and the rest go in order. Where two narrower
// routes overlap, the later adds nothing to the earlier's requests: reported, not solved.
import { nameSuffixHash } from '../names/hash.ts';
import { toDnsLabel } from '../names/sanitize.ts';
import { toIstioDuration } from './duration.ts';
import type { HTTPFaultInjection, HTTPMatchRequest, HTTPRetry, HTTPRoute } from './istio-types.ts';
import type { GroupMatch, Note } from './match.ts';
import { ruleLabel } from './report.ts';
import type { RateLimitValue, RetryValue } from './route-policies.ts';
import type { MatchGroupRule, PolicyRule } from './rules.ts';
import { compareRefs, compareText } from './compare.ts';

export interface SlotValues {
  retry: RetryValue;
  /** ms */
  timeout: number;
  fault: HTTPFaultInjection;
  rateLimit: RateLimitValue;
}
export type RouteSlot = keyof SlotValues;
const SLOTS: readonly RouteSlot[] = ['retry', 'timeout', 'fault', 'rateLimit'];

interface CandidateBase {
  rule: PolicyRule;
  group: MatchGroupRule;
  /** the policy's order; a forced-open breaker goes before any fault */
  order: number;
  /** records fates on this candidate's rule */
  note: Note;
}
export type Candidate = { [S in RouteSlot]: CandidateBase & { slot: S; value: SlotValues[S] } }[RouteSlot];
type CandidateOf<S extends RouteSlot> = Extract<Candidate, { slot: S }>;

export interface RouteInput {
  match: Exclude<GroupMatch, { kind: 'none' }>;
  candidate: Candidate;
}

export const DEFAULT_ROUTE = 'sc2mesh-default';

export interface BuiltRoutes {
  routes: HTTPRoute[];
  /** routes carrying a rate limit, by route name */
  rateLimits: { route: string; value: RateLimitValue; candidate: Candidate }[];
  /** every candidate that ended up on a route */
  used: Candidate[];
}

interface Unit {
  key: string;
  /** undefined: every request */
  matches: HTTPMatchRequest[] | undefined;
  slots: Map<RouteSlot, Candidate[]>;
}

type Winners = { [S in RouteSlot]?: { candidate: CandidateOf<S>; inherited: boolean } };

/** Orders may be -Infinity (a forced-open breaker), so they are compared, not subtracted. */
function compareOrder(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byOrder(a: Candidate, b: Candidate): number {
  return compareOrder(a.order, b.order) || compareRefs(a.rule, b.rule);
}

function orderText(c: Candidate): string {
  return Number.isFinite(c.order) ? `order ${c.order}` : 'forced open';
}

function unitKey(match: RouteInput['match']): string {
  return match.kind === 'all' ? 'all' : JSON.stringify(match.matches.map((m) => JSON.stringify(m)).sort());
}

function groupUnits(inputs: readonly RouteInput[]): Unit[] {
  const units = new Map<string, Unit>();
  for (const { match, candidate } of inputs) {
    const key = unitKey(match);
    let unit = units.get(key);
    if (unit === undefined) {
      unit = { key, matches: match.kind === 'all' ? undefined : match.matches, slots: new Map() };
      units.set(key, unit);
    }
    const list = unit.slots.get(candidate.slot) ?? [];
    list.push(candidate);
    unit.slots.set(candidate.slot, list);
  }
  for (const unit of units.values()) {
    for (const [slot, list] of unit.slots) {
      list.sort(byOrder);
      const [winner, ...losers] = list;
      for (const loser of losers) loser.note('policy.shadowed', 'spec', `${slot} by ${ruleLabel((winner as Candidate).rule)} (${orderText(winner as Candidate)}) on the same requests`);
    }
  }
  return [...units.values()];
}

/** The unit's own winner per slot, or the match-all unit's where it has none or a later one. */
function winnersOf(unit: Unit, matchAll: Unit | undefined): Winners {
  const winners: Winners = {};
  for (const slot of SLOTS) {
    const own = unit.slots.get(slot)?.[0];
    const lent = unit === matchAll ? undefined : matchAll?.slots.get(slot)?.[0];
    if (own !== undefined && lent !== undefined && lent.order < own.order) {
      own.note('policy.shadowed', 'spec', `${slot} by ${ruleLabel(lent.rule)} (${orderText(lent)}), whose group matches every request`);
      setWinner(winners, lent, true);
    } else if (own !== undefined) setWinner(winners, own, false);
    else if (lent !== undefined) setWinner(winners, lent, true);
  }
  return winners;
}

function setWinner(winners: Winners, candidate: Candidate, inherited: boolean): void {
  // One assignment per slot, keyed by the candidate's own slot.
  (winners as Record<RouteSlot, { candidate: Candidate; inherited: boolean }>)[candidate.slot] = { candidate, inherited };
}

/** The winners a unit has of its own (not lent by the match-all unit), first by order. */
function ownWinners(winners: Winners): Candidate[] {
  const own: Candidate[] = [];
  for (const slot of SLOTS) {
    const won = winners[slot];
    if (won !== undefined && !won.inherited) own.push(won.candidate);
  }
  return own.sort(byOrder);
}

function assemble(name: string, host: string, matches: HTTPMatchRequest[] | undefined, winners: Winners): HTTPRoute {
  const destination = [{ destination: { host } }];
  const route: HTTPRoute = matches === undefined ? { name, route: destination } : { name, match: matches, route: destination };
  const retry = winners.retry?.candidate;
  const timeout = winners.timeout?.candidate;
  const fault = winners.fault?.candidate;
  if (timeout !== undefined && (retry === undefined || retry.value.attempts === 0)) {
    route.timeout = toIstioDuration(timeout.value);
    timeout.note('timeLimiter.timeoutDuration', 'spec.timeoutDuration');
  }
  if (retry !== undefined) {
    const retries: HTTPRetry = { attempts: retry.value.attempts };
    if (timeout !== undefined && retry.value.attempts > 0) {
      retries.perTryTimeout = toIstioDuration(timeout.value);
      timeout.note('retry.perTryTimeout', 'spec.timeoutDuration');
    }
    retries.retryOn = retry.value.retryOn;
    if (retry.value.retryIgnorePreviousHosts !== undefined) retries.retryIgnorePreviousHosts = retry.value.retryIgnorePreviousHosts;
    retries.backoff = retry.value.backoff;
    route.retries = retries;
  }
  if (fault !== undefined) {
    route.fault = fault.value;
    if (retry !== undefined) retry.note('retry.fault', 'spec', `route ${name}`);
    if (timeout !== undefined) timeout.note('timeLimiter.fault', 'spec', `route ${name}`);
  }
  return route;
}

/** The routes, the final one without match; undefined when no policy lands on a route. */
export function buildRoutes(host: string, inputs: readonly RouteInput[]): BuiltRoutes | undefined {
  if (inputs.length === 0) return undefined;
  const units = groupUnits(inputs);
  const matchAll = units.find((u) => u.matches === undefined);
  const narrow = units
    .filter((u) => u !== matchAll)
    .map((unit) => {
      const winners = winnersOf(unit, matchAll);
      return { unit, winners, own: ownWinners(winners) };
    })
    // A route with nothing of its own would only repeat the final route.
    .filter(({ own }) => own.length > 0)
    .sort((a, b) => compareOrder((a.own[0] as Candidate).order, (b.own[0] as Candidate).order) || compareText(a.unit.key, b.unit.key));

  const names = new Set<string>([DEFAULT_ROUTE]);
  const nameFor = (unit: Unit, group: MatchGroupRule | undefined): string => {
    const base = group === undefined ? DEFAULT_ROUTE : toDnsLabel(group.name);
    if (!names.has(base)) {
      names.add(base);
      return base;
    }
    const unique = `${base.slice(0, 54).replace(/-+$/, '')}-${nameSuffixHash(unit.key)}`;
    names.add(unique);
    return unique;
  };

  const out: BuiltRoutes = { routes: [], rateLimits: [], used: [] };
  const emit = (unit: Unit, winners: Winners, name: string): void => {
    out.routes.push(assemble(name, host, unit.matches, winners));
    for (const slot of SLOTS) {
      const won = winners[slot];
      if (won === undefined) continue;
      out.used.push(won.candidate);
      if (won.inherited) won.candidate.note('match.first-match', 'spec', `also on route ${name}`);
      if (narrow.length > 1 && !won.inherited) won.candidate.note('match.order', 'spec.order', `route ${out.routes.length} of ${narrow.length + 1}`);
    }
    const limit = winners.rateLimit;
    if (limit !== undefined) out.rateLimits.push({ route: name, value: limit.candidate.value, candidate: limit.candidate });
  };
  for (const { unit, winners, own } of narrow) emit(unit, winners, nameFor(unit, own[0]?.group));
  if (matchAll !== undefined) {
    const winners = winnersOf(matchAll, undefined);
    emit(matchAll, winners, nameFor(matchAll, ownWinners(winners)[0]?.group));
  } else {
    out.routes.push({ name: DEFAULT_ROUTE, route: [{ destination: { host } }] });
  }
  return out.used.length === 0 ? undefined : out;
}
