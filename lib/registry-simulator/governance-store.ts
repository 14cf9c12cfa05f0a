// Governance rules as service-center keeps them in kie (../shared/reference/servicecomb/
// governance.md §1.2): one key/value per rule, `servicecomb.<camelKind>.<name>`, labelled
// with the selector; ids are kie's, unique across kinds. List filters by kind and labels
// and validates nothing; create and update validate the spec against the kind's
// grc.json schema and refuse kinds grc.json does not know. kie's own failures (an
// unknown id, a key that exists) reach the caller as service-center's internal error.
import { randomUUID } from 'node:crypto';
import { camelKind, CREATABLE_KINDS, MATCH_GROUP } from '../governance/kinds.ts';
import { Codes, SimError } from './sim-error.ts';
import type { Clock } from '../time/clock.ts';
import type { JsonObject } from './store.ts';

interface StoredRule {
  id: string;
  kind: string;
  name: string;
  status: string;
  selector: Record<string, string>;
  spec: JsonObject;
  creatTime: number;
  updateTime: number;
}

/** The kinds `display` joins to their match group (grc.json's policies). */
const POLICY_KINDS = CREATABLE_KINDS.filter((k) => k !== MATCH_GROUP);

/** grc.json: the fields each kind requires (create and update). */
const REQUIRED: Record<string, readonly string[]> = {
  [MATCH_GROUP]: ['matches', 'alias'],
  retry: ['maxAttempts'],
  'rate-limiting': ['rate'],
  loadbalance: ['rule'],
  'circuit-breaker': ['minimumNumberOfCalls'],
  'instance-isolation': ['minimumNumberOfCalls'],
  'fault-injection': ['percentage'],
  bulkhead: ['maxConcurrentCalls'],
};

const METHODS = new Set(['GET', 'POST', 'DELETE', 'PUT', 'PATCH']);

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function invalid(detail: string): SimError {
  return new SimError(Codes.invalidParams, 'Invalid parameter(s)', detail);
}

function internal(detail: string): SimError {
  return new SimError(Codes.internal, 'Internal server error', detail);
}

/** ValidatePolicySpec with grc.json's schemas, in kube-openapi's wording. */
function validateSpec(kind: string, spec: unknown): JsonObject {
  const required = REQUIRED[kind];
  if (required === undefined) throw invalid(`not support kind[${kind}] yet`);
  const problems: string[] = [];
  if (!isObject(spec)) throw invalid(`illegal policy[${kind}] spec, msg: spec in body must be of type object`);
  for (const field of required) if (spec[field] === undefined || spec[field] === null) problems.push(`${field} in body is required`);
  if (kind === MATCH_GROUP && spec['matches'] !== undefined) {
    const matches = spec['matches'];
    if (!Array.isArray(matches) || matches.length === 0) problems.push('matches in body should have at least 1 items');
    else
      matches.forEach((m: unknown, i) => {
        if (!isObject(m)) return problems.push(`matches.${i} in body must be of type object`);
        if (typeof m['name'] !== 'string') problems.push(`matches.${i}.name in body is required`);
        const apiPath = m['apiPath'];
        if (apiPath !== undefined && (!isObject(apiPath) || Object.keys(apiPath).length === 0)) problems.push(`matches.${i}.apiPath in body should have at least 1 properties`);
        if (m['headers'] !== undefined && !isObject(m['headers'])) problems.push(`matches.${i}.headers in body must be of type object`);
        const method = m['method'];
        if (method !== undefined && (!Array.isArray(method) || method.some((x) => typeof x !== 'string' || !METHODS.has(x)))) {
          problems.push(`matches.${i}.method in body should be one of [GET POST DELETE PUT PATCH]`);
        }
      });
  }
  if (kind === 'retry' && spec['retryOnSame'] !== undefined && !(Number.isInteger(spec['retryOnSame']) && (spec['retryOnSame'] as number) >= 0)) {
    problems.push('retryOnSame in body should be greater than or equal to 0');
  }
  if (kind === 'loadbalance' && spec['rule'] !== undefined && typeof spec['rule'] !== 'string') problems.push('rule in body must be of type string');
  if (kind === 'fault-injection' && spec['percentage'] !== undefined && !(typeof spec['percentage'] === 'number' && spec['percentage'] >= 0)) {
    problems.push('percentage in body should be greater than or equal to 0');
  }
  if (problems.length > 0) throw invalid(`illegal policy[${kind}] spec, msg: ${problems.join('; ')}`);
  return spec;
}

function labelsOf(value: unknown, where: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) throw invalid(`${where} must be a map of strings`);
  return { ...(value as Record<string, string>) };
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function keyOf(kind: string, name: string): string {
  return `servicecomb.${camelKind(kind)}.${name}`;
}

export interface ListFilter {
  app: string | undefined;
  /** "all" lists every environment; anything else (even "") must equal the label */
  environment: string | undefined;
}

export class GovernanceStore {
  readonly #tenants = new Map<string, Map<string, StoredRule>>();
  readonly #clock: Pick<Clock, 'now'>;

  constructor(clock: Pick<Clock, 'now'>) {
    this.#clock = clock;
  }

  #rules(tenant: string): Map<string, StoredRule> {
    let rules = this.#tenants.get(tenant);
    if (rules === undefined) {
      rules = new Map();
      this.#tenants.set(tenant, rules);
    }
    return rules;
  }

  #seconds(): number {
    return Math.floor(this.#clock.now() / 1000);
  }

  /** The Policy JSON (pkg/gov): the kind is the one asked for, as transform() sets it. */
  #policy(rule: StoredRule, kind: string): JsonObject {
    return { name: rule.name, id: rule.id, status: rule.status, creatTime: rule.creatTime, updateTime: rule.updateTime, selector: { ...rule.selector }, kind, spec: structuredClone(rule.spec) };
  }

  #find(tenant: string, id: string): StoredRule {
    const rule = this.#rules(tenant).get(id);
    // kie answers 404, which the kie client hands on as a plain error: service-center's 500.
    if (rule === undefined) throw internal(`operate failed [${id}], http status [404 Not Found], body [{"error_code":404,"error_msg":"can not find value"}]`);
    return rule;
  }

  list(tenant: string, kind: string, filter: ListFilter): JsonObject[] {
    const out: JsonObject[] = [];
    for (const rule of this.#rules(tenant).values()) {
      if (rule.kind !== kind) continue;
      if (filter.environment !== 'all' && rule.selector['environment'] !== (filter.environment ?? '')) continue;
      if (filter.app !== undefined && filter.app !== '' && rule.selector['app'] !== filter.app) continue;
      out.push(this.#policy(rule, kind));
    }
    return out;
  }

  /** `GET .../gov/display`: each match group with the policies of its name. */
  display(tenant: string, filter: ListFilter): JsonObject[] {
    return this.list(tenant, MATCH_GROUP, filter).map((matchGroup) => {
      const policies = POLICY_KINDS.flatMap((kind) => this.list(tenant, kind, filter).filter((p) => p['name'] === matchGroup['name']));
      return policies.length === 0 ? { matchGroup } : { matchGroup, policies };
    });
  }

  get(tenant: string, kind: string, id: string): JsonObject {
    return this.#policy(this.#find(tenant, id), kind);
  }

  create(tenant: string, kind: string, body: unknown): string {
    if (!isObject(body)) throw invalid('request body must be a JSON object');
    const spec = validateSpec(kind, body['spec']);
    let name = body['name'];
    if (name !== undefined && typeof name !== 'string') throw invalid('name must be a string');
    const selector = labelsOf(body['selector'], 'selector');
    if (kind === MATCH_GROUP && (name === undefined || name === '')) name = this.#sceneName(tenant, selector);
    if (typeof name !== 'string' || name === '') throw invalid('name is required');
    if (kind === MATCH_GROUP && (spec['alias'] === undefined || spec['alias'] === '')) spec['alias'] = name;
    return this.#insert(tenant, { kind, name, status: 'enabled', selector, spec: structuredClone(spec) });
  }

  #insert(tenant: string, rule: Omit<StoredRule, 'id' | 'creatTime' | 'updateTime'> & { id?: string; creatTime?: number; updateTime?: number }): string {
    const rules = this.#rules(tenant);
    for (const other of rules.values()) {
      if (other.kind === rule.kind && other.name === rule.name && sameLabels(other.selector, rule.selector)) {
        throw internal(`operate failed [${keyOf(rule.kind, rule.name)}], http status [409 Conflict], body [{"error_code":409,"error_msg":"kv already exists"}]`);
      }
    }
    const id = rule.id ?? randomUUID();
    if (rules.has(id)) throw internal(`kv id ${id} already exists`);
    const now = this.#seconds();
    rules.set(id, { ...rule, id, creatTime: rule.creatTime ?? now, updateTime: rule.updateTime ?? now });
    return id;
  }

  /** GroupNamePrefix + 4 characters, unique among the selector's match groups. */
  #sceneName(tenant: string, selector: Record<string, string>): string {
    const taken = new Set([...this.#rules(tenant).values()].filter((r) => r.kind === MATCH_GROUP && sameLabels(r.selector, selector)).map((r) => r.name));
    for (;;) {
      const name = `scene-${randomUUID().replaceAll('-', '').slice(0, 4)}`;
      if (!taken.has(name)) return name;
    }
  }

  /** kie's PUT changes the value and the status; name and labels stay. */
  update(tenant: string, kind: string, id: string, body: unknown): void {
    if (!isObject(body)) throw invalid('request body must be a JSON object');
    const spec = structuredClone(validateSpec(kind, body['spec']));
    const rule = this.#find(tenant, id);
    if (kind === MATCH_GROUP && (spec['alias'] === undefined || spec['alias'] === '')) spec['alias'] = rule.name;
    const status = body['status'];
    if (status !== undefined && typeof status !== 'string') throw invalid('status must be a string');
    rule.spec = spec;
    if (status !== undefined && status !== '') rule.status = status;
    rule.updateTime = this.#seconds();
  }

  /** A match group goes with every policy of its name and labels. */
  delete(tenant: string, kind: string, id: string): void {
    const rules = this.#rules(tenant);
    const rule = this.#find(tenant, id);
    if (kind !== MATCH_GROUP) {
      rules.delete(id);
      return;
    }
    for (const [otherId, other] of rules) if (other.name === rule.name && sameLabels(other.selector, rule.selector)) rules.delete(otherId);
  }

  /** Rules written straight into kie (a seed), kind → list; returns how many. */
  seed(tenant: string, governance: unknown): number {
    if (!isObject(governance)) throw new Error('seed: governance must be an object of kind → list of rules');
    let count = 0;
    for (const [kind, list] of Object.entries(governance)) {
      if (!Array.isArray(list)) throw new Error(`seed: governance.${kind} must be a list`);
      list.forEach((raw: unknown, i) => {
        this.put(tenant, kind, raw, `seed: governance.${kind}[${i}]`);
        count++;
      });
    }
    return count;
  }

  /**
   * One rule as kie would hold it: any kind, no spec validation, optional id, status and
   * times. Throws naming the rule (`where`) when it cannot be stored; returns its id.
   */
  put(tenant: string, kind: string, raw: unknown, where = `governance rule ${kind}`): string {
    if (!/^[a-z][a-z0-9-]*$/.test(kind)) throw new Error(`${where}: ${JSON.stringify(kind)} is not a governance kind (kebab-case, e.g. rate-limiting)`);
    if (!isObject(raw) || typeof raw['name'] !== 'string' || raw['name'] === '') throw new Error(`${where}.name is required`);
    if (!isObject(raw['spec'])) throw new Error(`${where}.spec must be an object`);
    for (const [field, type] of [['id', 'string'], ['status', 'string'], ['creatTime', 'number'], ['updateTime', 'number']] as const) {
      if (raw[field] !== undefined && typeof raw[field] !== type) throw new Error(`${where}.${field} must be a ${type}`);
    }
    let selector: Record<string, string>;
    try {
      selector = labelsOf(raw['selector'], 'selector');
    } catch {
      throw new Error(`${where}.selector must be a map of strings`);
    }
    try {
      return this.#insert(tenant, {
        kind,
        name: raw['name'],
        status: (raw['status'] as string | undefined) ?? 'enabled',
        selector,
        spec: structuredClone(raw['spec']),
        ...(raw['id'] === undefined ? {} : { id: raw['id'] as string }),
        ...(raw['creatTime'] === undefined ? {} : { creatTime: raw['creatTime'] as number }),
        ...(raw['updateTime'] === undefined ? {} : { updateTime: raw['updateTime'] as number }),
      });
    } catch (error) {
      throw new Error(`${where}: ${error instanceof SimError ? (error.detail ?? error.message) : String(error)}`);
    }
  }

  clear(): void {
    this.#tenants.clear();
  }
}
