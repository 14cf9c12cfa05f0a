// The governance kinds sc2mesh reads, as service-center names them in
// `/v1/{project}/gov/{kind}` (../shared/reference/servicecomb/governance.md §1.2). The
// side is where java-chassis enforces a kind (§1.4): it decides what a rule's
// `services` list and a match's `serviceName` name (the caller or the provider).

export const MATCH_GROUP = 'match-group';

/**
 * Every kind listed. The first eight are the ones service-center's grc.json knows (and
 * accepts on create); the others list like them, since List does not check the kind.
 */
export const GOVERNANCE_KINDS = [
  MATCH_GROUP,
  'retry',
  'rate-limiting',
  'loadbalance',
  'circuit-breaker',
  'instance-isolation',
  'fault-injection',
  'bulkhead',
  'time-limiter',
  'instance-bulkhead',
  'identifier-rate-limiting',
] as const;

export type GovernanceKind = (typeof GOVERNANCE_KINDS)[number];
export type PolicyKind = Exclude<GovernanceKind, typeof MATCH_GROUP>;

/** The kinds service-center validates and stores on POST/PUT (grc.json). */
export const CREATABLE_KINDS: readonly GovernanceKind[] = [
  MATCH_GROUP,
  'retry',
  'rate-limiting',
  'loadbalance',
  'circuit-breaker',
  'instance-isolation',
  'fault-injection',
  'bulkhead',
];

export type Side = 'consumer' | 'provider';

/**
 * Provider side: the provider's own process enforces it, `services` names the provider,
 * `matches[].serviceName` the caller. Consumer side: the caller enforces it, `services`
 * names the caller, `serviceName` the target. Load balancing, fault injection and the
 * time limiter have no java-chassis filter; they act on outgoing calls, so consumer.
 */
export const SIDE_OF: Record<PolicyKind, Side> = {
  retry: 'consumer',
  'rate-limiting': 'provider',
  loadbalance: 'consumer',
  'circuit-breaker': 'provider',
  'instance-isolation': 'consumer',
  'fault-injection': 'consumer',
  bulkhead: 'provider',
  'time-limiter': 'consumer',
  'instance-bulkhead': 'consumer',
  'identifier-rate-limiting': 'provider',
};

export function isGovernanceKind(kind: string): kind is GovernanceKind {
  return (GOVERNANCE_KINDS as readonly string[]).includes(kind);
}

/** `rate-limiting` → `rateLimiting`: the kie key segment (`servicecomb.rateLimiting.<name>`). */
export function camelKind(kind: string): string {
  return kind.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}
