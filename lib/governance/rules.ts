// The governance rules at the boundary: service-center's list answer (a bare JSON array
// of {name, id, status, creatTime, updateTime, selector, kind, spec}) validated rule by
// rule. A bad rule is reported with the field and value that spoil it and skipped; the
// others still go through. Field types, units and constraints are java-chassis'
// (governance.md §2); defaults are applied where the rules are mapped, so a mapping can
// tell a field that was set from one that was not.
import { z } from 'zod';
import { describeValue, toValidationError } from '../model/validation.ts';
import { parseGovernanceDuration, parseWindowSize } from './duration.ts';
import { GOVERNANCE_KINDS, MATCH_GROUP, type GovernanceKind, type PolicyKind } from './kinds.ts';
import { compareRefs } from './compare.ts';

const INT32_MAX = 2_147_483_647;
const INT32_MIN = -2_147_483_648;

/** YAML leaves an empty key as null; java-chassis then uses the default, as for an absent one. */
function opt<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null ? undefined : v), schema.optional());
}

/** Java reads ints from YAML numbers or numeric text alike. */
function integer(min: number, max = INT32_MAX) {
  return z
    .union([z.number(), z.string().regex(/^[-+]?[0-9]+$/, 'must be an integer').transform(Number)])
    .pipe(z.number().int('must be an integer').min(min).max(max));
}

function decimal(check: (n: number) => boolean, message: string) {
  return z
    .union([z.number(), z.string().regex(/^[-+]?[0-9]+(\.[0-9]+)?$/, 'must be a number').transform(Number)])
    .pipe(z.number().refine(check, message));
}

const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** Milliseconds; "" is java-chassis' "use the default", as absent. */
const duration = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const parsed = parseGovernanceDuration(v);
      if (parsed.ok) return parsed.ms;
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    })
    .optional(),
);

const windowSize = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const parsed = parseWindowSize(v);
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: 'custom', message: parsed.message });
  return z.NEVER;
});

const statusCodes = z.array(
  z
    .union([z.string(), z.number().int()])
    .transform((v) => String(v).trim())
    .pipe(z.string().regex(/^[1-5][0-9]{2}$/, 'must be an HTTP status code (100-599)')),
);

const percentage = decimal((n) => n > 0 && n <= 100, 'must be in (0, 100]');

/** Fields every rule may carry (AbstractPolicy / Configurable). */
const common = {
  /** comma list of `name` or `name:version`: the microservices that load the rule */
  services: opt(z.string()),
  /** smaller first */
  order: opt(integer(INT32_MIN)),
};

/** `RawOperator`: operator → value; a YAML number or boolean is read as its text. */
const OperatorMapSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));
export type OperatorMap = z.output<typeof OperatorMapSchema>;

const MatchSchema = z.looseObject({
  name: opt(z.string()),
  apiPath: opt(OperatorMapSchema),
  method: opt(z.array(z.string().min(1))),
  headers: opt(z.record(z.string().min(1), OperatorMapSchema)),
  queries: opt(z.record(z.string().min(1), OperatorMapSchema)),
  serviceName: opt(z.string()),
  customMatcher: opt(z.looseObject({ customMatcherHandler: opt(z.string()), customMatcherParameters: opt(z.string()) })),
});
export type Match = z.output<typeof MatchSchema>;

const MatchGroupSpecSchema = z.looseObject({ ...common, alias: opt(z.string()), matches: z.array(MatchSchema).min(1) });

const RetrySpecSchema = z.looseObject({
  ...common,
  maxAttempts: opt(integer(0)),
  waitDuration: duration,
  retryOnResponseStatus: opt(statusCodes),
  retryStrategy: opt(z.enum(['FixedInterval', 'RandomBackoff'])),
  // resilience4j's IntervalFunction refuses a shorter one, so java-chassis cannot use the rule.
  initialInterval: duration.refine((ms) => ms === undefined || ms >= 10, 'must be at least 10 ms'),
  multiplier: opt(decimal((n) => n > 0, 'must be greater than 0')),
  randomizationFactor: opt(decimal((n) => n >= 0 && n < 1, 'must be in [0, 1)')),
  failAfterMaxAttempts: opt(bool),
  retryOnSame: opt(integer(0)),
});

const rateLimitingFields = {
  ...common,
  rate: opt(integer(1)),
  limitRefreshPeriod: duration.refine((ms) => ms === undefined || ms > 0, 'must be greater than 0'),
  timeoutDuration: duration,
};
const RateLimitingSpecSchema = z.looseObject(rateLimitingFields);
const IdentifierRateLimitingSpecSchema = z.looseObject({ ...rateLimitingFields, identifier: z.string().min(1) });

const LoadBalanceSpecSchema = z.looseObject({ ...common, rule: z.string().min(1) });

const CircuitBreakerSpecSchema = z.looseObject({
  ...common,
  failureRateThreshold: opt(percentage),
  slowCallRateThreshold: opt(percentage),
  slowCallDurationThreshold: duration,
  waitDurationInOpenState: duration,
  permittedNumberOfCallsInHalfOpenState: opt(integer(0)),
  minimumNumberOfCalls: opt(integer(0)),
  slidingWindowType: opt(z.enum(['COUNT_BASED', 'TIME_BASED'])),
  slidingWindowSize: opt(windowSize),
  recordFailureStatus: opt(statusCodes),
  forceClosed: opt(bool),
  forceOpen: opt(bool),
});

const FaultInjectionSpecSchema = z
  .looseObject({
    ...common,
    type: opt(z.enum(['delay', 'abort'])),
    delayTime: duration,
    percentage: opt(integer(-1, 100)),
    errorCode: opt(integer(0, 999)),
    fallbackType: opt(z.enum(['ThrowException', 'ReturnNull'])),
    forceClosed: opt(bool),
  })
  .superRefine((spec, ctx) => {
    // FaultInjectionConst: an abort answers a status from 200 to 600.
    if (spec.type === 'abort' && spec.errorCode !== undefined && (spec.errorCode < 200 || spec.errorCode > 600)) {
      ctx.addIssue({ code: 'custom', path: ['errorCode'], message: 'must be from 200 to 600 for an abort' });
    }
  });

const BulkheadSpecSchema = z.looseObject({ ...common, maxConcurrentCalls: opt(integer(0)), maxWaitDuration: duration });

const TimeLimiterSpecSchema = z.looseObject({ ...common, timeoutDuration: duration, cancelRunningFuture: opt(bool) });

const SPEC_SCHEMAS = {
  [MATCH_GROUP]: MatchGroupSpecSchema,
  retry: RetrySpecSchema,
  'rate-limiting': RateLimitingSpecSchema,
  'identifier-rate-limiting': IdentifierRateLimitingSpecSchema,
  loadbalance: LoadBalanceSpecSchema,
  'circuit-breaker': CircuitBreakerSpecSchema,
  'instance-isolation': CircuitBreakerSpecSchema,
  'fault-injection': FaultInjectionSpecSchema,
  bulkhead: BulkheadSpecSchema,
  'instance-bulkhead': BulkheadSpecSchema,
  'time-limiter': TimeLimiterSpecSchema,
} as const satisfies Record<GovernanceKind, z.ZodType>;

export type SpecOf<K extends GovernanceKind> = z.output<(typeof SPEC_SCHEMAS)[K]>;

const EnvelopeSchema = z.looseObject({
  name: z.string().min(1),
  id: z.string().min(1),
  status: z.enum(['enabled', 'disabled']),
  creatTime: opt(z.number()),
  updateTime: opt(z.number()),
  /** the rule's kie labels: app and environment, maybe service and version */
  selector: opt(z.record(z.string(), z.string())),
  kind: opt(z.string()),
  spec: z.record(z.string(), z.unknown()),
});

export interface RuleRef {
  kind: GovernanceKind;
  name: string;
  id: string;
}

interface RuleOf<K extends GovernanceKind> extends RuleRef {
  kind: K;
  selector: Readonly<Record<string, string>>;
  spec: SpecOf<K>;
}

export type MatchGroupRule = RuleOf<typeof MATCH_GROUP>;
export type PolicyRule = { [K in PolicyKind]: RuleOf<K> }[PolicyKind];
export type GovernanceRule = MatchGroupRule | PolicyRule;
export type PolicyOf<K extends PolicyKind> = RuleOf<K>;

export interface RejectedRule {
  kind: GovernanceKind;
  /** as listed, when it could be read */
  name: string | undefined;
  id: string | undefined;
  /** path inside the rule, e.g. `spec.maxAttempts`; `(root)` for the list itself */
  field: string;
  value: unknown;
  /** one line naming the rule, the field and the value */
  message: string;
}

export interface RuleSet {
  matchGroups: MatchGroupRule[];
  /** enabled policies of every kind, by kind, then name, then id */
  policies: PolicyRule[];
  /** `status: disabled`: skipped, listed so a report can say so */
  disabled: RuleRef[];
  rejected: RejectedRule[];
}

function textField(raw: unknown, name: string): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const value = (raw as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function reject(kind: GovernanceKind, raw: unknown, error: z.ZodError): RejectedRule {
  const name = textField(raw, 'name');
  const id = textField(raw, 'id');
  const { field, value, message } = toValidationError(error, raw);
  const label = `${kind} ${name === undefined ? '(unnamed)' : JSON.stringify(name)}${id === undefined ? '' : ` (id ${id})`}`;
  return { kind, name, id, field, value, message: `${label}: ${message}` };
}

/** One rule; a rule whose listed kind disagrees with the list it came in is refused. */
export function parseRule(kind: GovernanceKind, raw: unknown): { ok: true; rule: GovernanceRule; enabled: boolean } | { ok: false; rejected: RejectedRule } {
  const envelope = EnvelopeSchema.safeParse(raw);
  if (!envelope.success) return { ok: false, rejected: reject(kind, raw, envelope.error) };
  const { name, id, status, selector, spec } = envelope.data;
  if (envelope.data.kind !== undefined && envelope.data.kind !== kind) {
    const message = `${kind} ${JSON.stringify(name)} (id ${id}): kind: listed under ${kind} but says ${describeValue(envelope.data.kind)}`;
    return { ok: false, rejected: { kind, name, id, field: 'kind', value: envelope.data.kind, message } };
  }
  const parsed = SPEC_SCHEMAS[kind].safeParse(spec);
  if (!parsed.success) return { ok: false, rejected: reject(kind, raw, prefixed(parsed.error)) };
  // The schema is the one of `kind`, so the spec is that kind's; TypeScript cannot correlate the two.
  const rule = { kind, name, id, selector: selector ?? {}, spec: parsed.data } as GovernanceRule;
  return { ok: true, rule, enabled: status === 'enabled' };
}

/** Paths of a spec error, seen from the rule (`spec.maxAttempts`). */
function prefixed(error: z.ZodError): z.ZodError {
  return new z.ZodError(error.issues.map((issue) => ({ ...issue, path: ['spec', ...issue.path] })));
}

/** One kind's list answer. */
export function parseRuleList(kind: GovernanceKind, answer: unknown): RuleSet {
  const set: RuleSet = { matchGroups: [], policies: [], disabled: [], rejected: [] };
  // An empty answer body is an empty list (the client hands it over as undefined).
  const list = answer === undefined ? [] : answer;
  if (!Array.isArray(list)) {
    const message = `${kind}: expected a JSON array of rules (got ${describeValue(answer)})`;
    set.rejected.push({ kind, name: undefined, id: undefined, field: '(root)', value: answer, message });
    return set;
  }
  list.forEach((raw: unknown, index) => {
    const result = parseRule(kind, raw);
    if (!result.ok) {
      // Without a name, the position is what finds the rule in the answer.
      const r = result.rejected;
      set.rejected.push(r.name === undefined ? { ...r, message: `${r.message} (entry ${index})` } : r);
    } else if (!result.enabled) {
      set.disabled.push({ kind, name: result.rule.name, id: result.rule.id });
    } else if (result.rule.kind === MATCH_GROUP) {
      set.matchGroups.push(result.rule);
    } else {
      set.policies.push(result.rule);
    }
  });
  return set;
}

/**
 * Every kind's answer (as the registry client returns them), merged. A kind not given adds
 * nothing: when the client reported kinds unavailable, the set is incomplete, not empty.
 */
export function parseGovernance(lists: Partial<Record<GovernanceKind, unknown>>): RuleSet {
  const out: RuleSet = { matchGroups: [], policies: [], disabled: [], rejected: [] };
  for (const kind of GOVERNANCE_KINDS) {
    if (!(kind in lists)) continue;
    const set = parseRuleList(kind, lists[kind]);
    out.matchGroups.push(...set.matchGroups);
    out.policies.push(...set.policies);
    out.disabled.push(...set.disabled);
    out.rejected.push(...set.rejected);
  }
  out.matchGroups.sort(compareRefs);
  out.policies.sort(compareRefs);
  out.disabled.sort(compareRefs);
  return out;
}
