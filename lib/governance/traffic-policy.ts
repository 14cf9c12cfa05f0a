// The host-wide half of governance: of the policies that want one part of the host's
// DestinationRule traffic policy (load balancer, outlier detection, the two connection
// limits), the one with the smallest order wins, as ServiceComb takes the first policy of
// a kind; the others are reported as shadowed. routes.ts is the route-level half.
import { compareRefs } from './compare.ts';
import type { OutlierDetection } from './host-policies.ts';
import type { TrafficPolicy } from './istio-types.ts';
import type { Note } from './match.ts';
import { ruleLabel } from './report.ts';
import type { MatchGroupRule, PolicyRule } from './rules.ts';

export interface HostValues {
  loadBalancer: NonNullable<TrafficPolicy['loadBalancer']>;
  outlier: OutlierDetection;
  /** bulkhead: requests in flight */
  requests: number;
  /** instance bulkhead: connections per host */
  connections: number;
}
export type HostSlot = keyof HostValues;
interface HostBase {
  rule: PolicyRule;
  group: MatchGroupRule;
  order: number;
  note: Note;
}
export type HostCandidate = { [S in HostSlot]: HostBase & { slot: S; value: HostValues[S] } }[HostSlot];

function byOrder(a: HostCandidate, b: HostCandidate): number {
  // Instance isolation is the closer fit for outlier detection than a circuit breaker's substitute.
  const isolationFirst = Number(b.rule.kind === 'instance-isolation') - Number(a.rule.kind === 'instance-isolation');
  if (a.slot === 'outlier' && isolationFirst !== 0) return isolationFirst;
  return a.order - b.order || compareRefs(a.rule, b.rule);
}

/** The winner of one slot; the others are reported as shadowed. */
function winnerOf<S extends HostSlot>(candidates: readonly HostCandidate[], slot: S): Extract<HostCandidate, { slot: S }> | undefined {
  const [winner, ...losers] = candidates.filter((c): c is Extract<HostCandidate, { slot: S }> => c.slot === slot).sort(byOrder);
  if (winner === undefined) return undefined;
  for (const loser of losers) {
    if (slot === 'outlier' && loser.rule.kind === 'circuit-breaker' && winner.rule.kind === 'instance-isolation') loser.note('cb.isolation-first', 'spec', `by ${ruleLabel(winner.rule)}`);
    else loser.note('host.shadowed', 'spec', `${slot} by ${ruleLabel(winner.rule)} (order ${winner.order})`);
  }
  return winner;
}

export function trafficPolicyOf(candidates: readonly HostCandidate[]): { trafficPolicy: TrafficPolicy; used: HostCandidate[] } | undefined {
  if (candidates.length === 0) return undefined;
  const lb = winnerOf(candidates, 'loadBalancer');
  const connections = winnerOf(candidates, 'connections');
  const requests = winnerOf(candidates, 'requests');
  const outlier = winnerOf(candidates, 'outlier');
  // Key order as in the CRD, so equal policies serialise equally.
  const trafficPolicy: TrafficPolicy = {};
  if (lb !== undefined) trafficPolicy.loadBalancer = lb.value;
  if (connections !== undefined || requests !== undefined) {
    const pool: NonNullable<TrafficPolicy['connectionPool']> = {};
    if (connections !== undefined) pool.tcp = { maxConnections: connections.value };
    if (requests !== undefined) pool.http = { http2MaxRequests: requests.value };
    trafficPolicy.connectionPool = pool;
  }
  if (outlier !== undefined) trafficPolicy.outlierDetection = outlier.value;
  const used = [lb, connections, requests, outlier].filter((c): c is HostCandidate => c !== undefined);
  return { trafficPolicy, used };
}
