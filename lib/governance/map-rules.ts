// Where ServiceComb governance becomes Istio objects for one provider service: the
// rules that govern it (scope.ts), each policy's match group as routes (match.ts), the
// route-level policies as VirtualService routes (routes.ts), the host-wide ones as the
// DestinationRule's traffic policy (traffic-policy.ts), rate limits as an EnvoyFilter when
// turned on (rate-limit.ts), and a report of every rule's fate. Pure: no I/O, no clock.
import { bulkheadValue, loadBalancerValue, outlierValue } from './host-policies.ts';
import type { EnvoyFilter, TrafficPolicy, VirtualService } from './istio-types.ts';
import { SIDE_OF, type Side } from './kinds.ts';
import { convertMatchGroup, restrictToCallers, type Note } from './match.ts';
import type { RowId } from './mapping-table.ts';
import { buildEnvoyFilter, buildVirtualService, routingExportOf, type ObjectOptions } from './objects.ts';
import { rateLimitSpec } from './rate-limit.ts';
import { ReportBuilder, ruleLabel, type GovernanceReport } from './report.ts';
import { faultValue, forcedOpenFault, rateLimitValue, retryValue, timeoutValue } from './route-policies.ts';
import { buildRoutes, type Candidate, type RouteInput } from './routes.ts';
import type { MatchGroupRule, PolicyRule, RuleRef, RuleSet } from './rules.ts';
import { callersOf, intersect, parseServiceList, providerScope, selectorMatches, selectorServices, type Caller, type GovernedService } from './scope.ts';
import { trafficPolicyOf, type HostCandidate } from './traffic-policy.ts';

/**
 * Where a rate-limit EnvoyFilter goes when governance.rateLimitNamespace is not given (its
 * config default too): Istio's root namespace reaches every proxy.
 */
export const DEFAULT_RATE_LIMIT_NAMESPACE = 'istio-system';

export interface GovernanceOptions extends ObjectOptions {
  /** off unless the operator turns it on; then the EnvoyFilter's namespace */
  rateLimiting: { enabled: false } | { enabled: true; namespace: string };
}

export interface GovernanceResult {
  /** the host's routes, when a route-level policy applies */
  virtualService?: VirtualService;
  /** to merge into the service's DestinationRule (withTrafficPolicy) */
  trafficPolicy?: TrafficPolicy;
  /** `kind/name` of the rules behind trafficPolicy: the DestinationRule's annotation */
  trafficPolicyRules: string[];
  /** local rate limits, only when rate limiting is on; in rateLimiting.namespace */
  envoyFilter?: EnvoyFilter;
  report: GovernanceReport;
}

/** Ports Istio gives HTTP routes; HTTPS is TLS from the application, opaque to the proxy. */
const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC']);

/** Notes kept until it is known that the group concerns this service at all. */
function bufferedNotes(): { note: Note; flush(to: Note): void } {
  const held: [RowId, string, string | undefined][] = [];
  return {
    note: (row, field, detail) => void held.push([row, field, detail]),
    flush: (to) => {
      for (const [row, field, detail] of held) to(row, field, detail);
    },
  };
}

/** Of several groups of one name, the one delivered at the most specific level (most labels) wins, as in kie. */
function groupsByName(groups: readonly MatchGroupRule[]): Map<string, MatchGroupRule> {
  const out = new Map<string, MatchGroupRule>();
  for (const group of groups) {
    const seen = out.get(group.name);
    const more = seen === undefined || Object.keys(group.selector).length > Object.keys(seen.selector).length;
    if (more) out.set(group.name, group);
  }
  return out;
}

function callerText(callers: readonly Caller[]): string {
  return callers.map((c) => (c.version === undefined ? c.name : `${c.name}:${c.version}`)).join(', ');
}

interface Scoped {
  side: Side;
  callers: 'everyone' | Caller[];
}

/** Whether the policy governs this provider and, for a consumer-side one, which callers load it. */
function scopeOf(policy: PolicyRule, group: MatchGroupRule | undefined, service: GovernedService, note: Note): Scoped | undefined {
  const side = SIDE_OF[policy.kind];
  let list = intersect(parseServiceList(policy.spec.services), selectorServices(policy.selector));
  if (group !== undefined) list = intersect(list, intersect(parseServiceList(group.spec.services), selectorServices(group.selector)));
  if (side === 'provider') {
    const scope = providerScope(list, service);
    if (!scope.governs) return undefined;
    if (scope.versions !== 'all') note('match.services.version', 'spec.services', `names versions ${scope.versions.join(', ')}`);
    return { side, callers: 'everyone' };
  }
  const callers = callersOf(list);
  if (callers === 'everyone') return { side, callers };
  if (callers.length === 0) return undefined;
  note('match.services', 'spec.services', `callers ${callerText(callers)}`);
  return { side, callers };
}

const ROUTE_KINDS = new Set<PolicyRule['kind']>(['retry', 'time-limiter', 'fault-injection', 'rate-limiting']);

export function mapGovernance(service: GovernedService, rules: RuleSet, options: GovernanceOptions): GovernanceResult {
  const report = new ReportBuilder(service.key);
  const noteFor =
    (rule: RuleRef): Note =>
    (row, field, detail) =>
      report.note(rule, row, field, detail);
  const groups = groupsByName(rules.matchGroups.filter((g) => selectorMatches(g.selector, service)));
  const policies = rules.policies.filter((p) => selectorMatches(p.selector, service));
  const httpPorts = [...new Set(service.ports.filter((p) => HTTP_PROTOCOLS.has(p.protocol.toUpperCase())).map((p) => p.number))].sort((a, b) => a - b);

  const routeInputs: RouteInput[] = [];
  const hostCandidates: HostCandidate[] = [];
  const namedByPolicy = new Set<string>();

  for (const policy of policies) {
    namedByPolicy.add(policy.name);
    const note = noteFor(policy);
    const group = groups.get(policy.name);
    const scoped = scopeOf(policy, group, service, note);
    if (scoped === undefined) continue;
    if (group === undefined) {
      note('policy.no-match-group', 'name', `no match group ${JSON.stringify(policy.name)}`);
      continue;
    }
    const groupNotes = bufferedNotes();
    const converted = convertMatchGroup(group, scoped.side, service.serviceName, groupNotes.note);
    // Every entry names another target: the rule is about other services.
    if (!converted.targeted) continue;
    groupNotes.flush(noteFor(group));
    const match = restrictToCallers(converted, scoped.callers);
    if (match.kind === 'none') {
      note('match.no-entry', 'name', `match group ${group.name} has no entry Istio can express for this service`);
      continue;
    }

    const routeLevel = ROUTE_KINDS.has(policy.kind) || (policy.kind === 'circuit-breaker' && policy.spec.forceOpen === true && policy.spec.forceClosed !== true);
    if (routeLevel && httpPorts.length === 0) {
      note('service.no-http-port', 'spec');
      continue;
    }
    const order = policy.spec.order ?? 0;
    const base = { rule: policy, group, order, note };
    const route = (candidate: Candidate): void => void routeInputs.push({ match, candidate });
    const host = (candidate: HostCandidate): void => {
      if (match.kind !== 'all') {
        note('host.match-group', 'name', `match group ${group.name} is narrower than the host`);
        noteFor(group)('host.match-group', 'spec.matches', `widened for ${ruleLabel(policy)}`);
      }
      hostCandidates.push(candidate);
    };

    switch (policy.kind) {
      case 'identifier-rate-limiting':
        note('rate.identifier', 'spec.identifier');
        break;
      case 'rate-limiting': {
        if (!options.rateLimiting.enabled) {
          note('rate.off', 'spec');
          break;
        }
        const value = rateLimitValue(policy, note);
        if (value !== undefined) route({ ...base, slot: 'rateLimit', value });
        break;
      }
      case 'retry':
        route({ ...base, slot: 'retry', value: retryValue(policy, note) });
        break;
      case 'time-limiter': {
        const value = timeoutValue(policy, note);
        if (value !== undefined) route({ ...base, slot: 'timeout', value });
        break;
      }
      case 'fault-injection': {
        const outcome = faultValue(policy, note);
        if (outcome.kind === 'fault') route({ ...base, slot: 'fault', value: outcome.fault });
        else if (outcome.reason === 'inactive') report.settle(policy);
        break;
      }
      case 'circuit-breaker': {
        const forced = forcedOpenFault(policy, note);
        if (forced !== undefined) {
          route({ ...base, order: Number.NEGATIVE_INFINITY, slot: 'fault', value: forced });
          break;
        }
        const value = outlierValue(policy, note);
        if (value !== undefined) host({ ...base, slot: 'outlier', value });
        else if (policy.spec.forceClosed === true) report.settle(policy);
        break;
      }
      case 'instance-isolation': {
        const value = outlierValue(policy, note);
        if (value !== undefined) host({ ...base, slot: 'outlier', value });
        else if (policy.spec.forceClosed === true) report.settle(policy);
        break;
      }
      case 'loadbalance': {
        const value = loadBalancerValue(policy, note);
        if (value !== undefined) host({ ...base, slot: 'loadBalancer', value });
        break;
      }
      case 'bulkhead': {
        const value = bulkheadValue(policy, note);
        if (value !== undefined) host({ ...base, slot: 'requests', value });
        break;
      }
      case 'instance-bulkhead': {
        const value = bulkheadValue(policy, note);
        if (value !== undefined) host({ ...base, slot: 'connections', value });
        break;
      }
    }
  }

  for (const group of groups.values()) {
    if (namedByPolicy.has(group.name)) continue;
    // Only a group some entry of which could be about this provider is worth a line here.
    const converted = convertMatchGroup(group, 'consumer', service.serviceName, () => undefined);
    if (converted.targeted) noteFor(group)('match.unused', 'name');
  }

  let virtualService: VirtualService | undefined;
  let envoyFilter: EnvoyFilter | undefined;
  const built = buildRoutes(service.host, routeInputs);
  if (built !== undefined) {
    for (const c of built.used) {
      report.shaped(c.rule, 'VirtualService');
      report.shaped(c.group, 'VirtualService');
    }
    for (const { candidate } of built.rateLimits) {
      report.shaped(candidate.rule, 'EnvoyFilter');
      report.shaped(candidate.group, 'EnvoyFilter');
    }
    const exportTo = routingExportOf(service);
    const spec = exportTo === undefined ? { hosts: [service.host], http: built.routes } : { hosts: [service.host], exportTo, http: built.routes };
    virtualService = buildVirtualService(service, options, spec, report.shapers('VirtualService'));
    if (built.rateLimits.length > 0 && options.rateLimiting.enabled) {
      const efSpec = rateLimitSpec(service.name, service.host, httpPorts, built.rateLimits);
      envoyFilter = buildEnvoyFilter(service, options, options.rateLimiting.namespace, efSpec, report.shapers('EnvoyFilter'));
    }
  }
  const policy = trafficPolicyOf(hostCandidates);
  for (const c of policy?.used ?? []) {
    report.shaped(c.rule, 'DestinationRule');
    report.shaped(c.group, 'DestinationRule');
  }
  const result: GovernanceResult = { trafficPolicyRules: policy === undefined ? [] : report.shapers('DestinationRule'), report: report.build() };
  if (virtualService !== undefined) result.virtualService = virtualService;
  if (policy !== undefined) result.trafficPolicy = policy.trafficPolicy;
  if (envoyFilter !== undefined) result.envoyFilter = envoyFilter;
  return result;
}
