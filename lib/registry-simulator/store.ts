// The registry's state and rules, shared by the HTTP API, the programmatic helpers
// and the watch hub: tenants (domain/project), services (one per version), instances
// with heartbeat leases, consumer→provider dependencies, revisions and events.
//
// One file past 350 lines on purpose: every rule here reads and changes the same per-tenant
// indexes (by id, by key, by name, dependencies, revisions); split, each file would need
// the others' internals to keep those indexes consistent. The dependency index itself and
// the explicit dependency API's body rules live beside it (dependency-index.ts,
// dependency-rules.ts).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DependencyIndex } from './dependency-index.ts';
import { parseDependencyRequest, type DependencyKey } from './dependency-rules.ts';
import { Codes, SimError } from './sim-error.ts';
import type { Clock } from '../time/clock.ts';

export interface Scope {
  domain?: string;
  project?: string;
}

export type JsonObject = Record<string, unknown>;

export type WatchAction = 'CREATE' | 'UPDATE' | 'DELETE';

/** One event as the watch socket sends it (already serialised once, for every subscriber). */
export interface StoreEvent {
  tenant: string;
  /** environment/appId/serviceName of the provider: what dependencies are kept by */
  nameKey: string;
  frame: string;
}

export interface StoreOptions {
  clock: Pick<Clock, 'now'>;
  /** the server raises a push heartbeat interval to at least this (seconds; default 5) */
  minHeartbeatInterval: number;
  /** and the missed-heartbeat count to at least this (default 3) */
  minHeartbeatTimes: number;
  /** delay between a find (or an explicit dependency call) and the dependency being recorded (default 100 ms) */
  dependencyDelayMs: number;
  onEvent: (event: StoreEvent) => void;
}

interface InstanceRecord {
  instance: JsonObject;
  lastBeat: number;
  /** undefined: never expires (pull mode or kept alive by the simulator) */
  ttlMs: number | undefined;
}

interface ServiceRecord {
  service: JsonObject;
  id: string;
  appId: string;
  serviceName: string;
  version: string;
  environment: string;
  /** the registry's own entry: hidden from lists unless withShared, visible from any app */
  shared: boolean;
  instances: Map<string, InstanceRecord>;
  /** store revision of this service's last instance change */
  rev: number;
  /** service.alias: a find by this name finds the service too (service-center's alias rule) */
  alias: string;
}

class Tenant {
  readonly key: string;
  readonly services = new Map<string, ServiceRecord>();
  readonly byKey = new Map<string, string>();
  readonly byName = new Map<string, Set<string>>();
  readonly instanceOwner = new Map<string, string>();
  readonly deps = new DependencyIndex();
  /** store revision of the last change under each environment/appId/serviceName */
  readonly nameRev = new Map<string, number>();
  constructor(key: string) {
    this.key = key;
  }
}

const NAME = /^[a-zA-Z0-9]*$|^[a-zA-Z0-9][a-zA-Z0-9_\-.]*[a-zA-Z0-9]$/;
const VERSION = /^[0-9]+(\.[0-9]+){0,3}$/;
const ENVIRONMENTS = new Set(['', 'development', 'testing', 'acceptance', 'production']);
export const INSTANCE_STATUSES = new Set(['UP', 'DOWN', 'STARTING', 'TESTING', 'OUTOFSERVICE']);

export function tenantKey(scope: Scope = {}): string {
  return `${scope.domain ?? 'default'}/${scope.project ?? 'default'}`;
}

export function nameKeyOf(environment: string, appId: string, serviceName: string): string {
  return `${environment}/${appId}/${serviceName}`;
}

function versionKey(environment: string, appId: string, serviceName: string, version: string): string {
  return `${environment}/${appId}/${serviceName}/${version}`;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function invalid(message: string): SimError {
  return new SimError(Codes.invalidParams, message);
}

function optionalString(body: JsonObject, field: string, where: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${where}.${field} must be a string`);
  return value;
}

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) throw invalid(`${where} must be a map of strings`);
  return value as Record<string, string>;
}

/** Go's omitempty: empty strings, lists and maps are left out of the JSON. */
function omitEmpty(object: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(object)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (isObject(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

export class RegistryStore {
  readonly #tenants = new Map<string, Tenant>();
  readonly #options: StoreOptions;
  readonly #pendingDeps = new Set<NodeJS.Timeout>();
  #revision = 0;

  constructor(options: StoreOptions) {
    this.#options = options;
  }

  get options(): StoreOptions {
    return this.#options;
  }

  #tenant(key: string): Tenant {
    let t = this.#tenants.get(key);
    if (t === undefined) {
      t = new Tenant(key);
      this.#tenants.set(key, t);
    }
    return t;
  }

  #seconds(): string {
    return String(Math.floor(this.#options.clock.now() / 1000));
  }

  // ---------------------------------------------------------------- services

  registerService(tenant: string, body: unknown, shared = false): string {
    if (!isObject(body)) throw invalid('service is required');
    const t = this.#tenant(tenant);
    const serviceName = optionalString(body, 'serviceName', 'service');
    if (serviceName === undefined || serviceName === '') throw invalid('service.serviceName is required');
    if (!NAME.test(serviceName) || serviceName.length > 128) throw invalid(`service.serviceName ${JSON.stringify(serviceName)} is invalid`);
    const appId = optionalString(body, 'appId', 'service') || 'default';
    if (!NAME.test(appId) || appId.length > 160) throw invalid(`service.appId ${JSON.stringify(appId)} is invalid`);
    const version = optionalString(body, 'version', 'service') || '0.0.1';
    if (!VERSION.test(version)) throw invalid(`service.version ${JSON.stringify(version)} is invalid`);
    const environment = optionalString(body, 'environment', 'service') ?? '';
    if (!ENVIRONMENTS.has(environment)) throw invalid(`service.environment ${JSON.stringify(environment)} is invalid`);
    const explicitId = optionalString(body, 'serviceId', 'service');
    const properties = stringMap(body['properties'], 'service.properties');
    if (body['schemas'] !== undefined && (!Array.isArray(body['schemas']) || body['schemas'].some((s) => typeof s !== 'string'))) {
      throw invalid('service.schemas must be a list of strings');
    }
    const status = optionalString(body, 'status', 'service') || 'UP';
    if (status !== 'UP' && status !== 'DOWN') throw invalid(`service.status ${JSON.stringify(status)} is invalid`);
    const alias = optionalString(body, 'alias', 'service') ?? '';
    if (!/^[a-zA-Z0-9_\-.:]*$/.test(alias) || alias.length > 128) throw invalid(`service.alias ${JSON.stringify(alias)} is invalid`);

    const key = versionKey(environment, appId, serviceName, version);
    const existing = t.byKey.get(key);
    if (existing !== undefined) {
      if (explicitId !== undefined && explicitId !== '' && explicitId !== existing) {
        throw new SimError(Codes.serviceAlreadyExists, `service key ${key} is already registered with another serviceId`);
      }
      return existing;
    }
    if (explicitId !== undefined && explicitId !== '' && t.services.has(explicitId)) {
      throw new SimError(Codes.serviceAlreadyExists, `serviceId ${explicitId} is already used by another service`);
    }
    const id = explicitId !== undefined && explicitId !== '' ? explicitId : createHash('sha1').update(randomBytes(16)).digest('hex');
    const ts = this.#seconds();
    const fields = { serviceId: id, appId, serviceName, version, environment, level: optionalString(body, 'level', 'service') || 'BACK', status, properties, timestamp: ts, modTimestamp: ts };
    // the wire order: identity first, then whatever else was sent
    const service = omitEmpty(Object.assign({}, fields, body, fields));
    t.services.set(id, { service, id, appId, serviceName, version, environment, shared, instances: new Map(), rev: ++this.#revision, alias });
    t.byKey.set(key, id);
    const nk = nameKeyOf(environment, appId, serviceName);
    let ids = t.byName.get(nk);
    if (ids === undefined) t.byName.set(nk, (ids = new Set()));
    ids.add(id);
    t.nameRev.set(nk, this.#revision);
    return id;
  }

  getService(tenant: string, serviceId: string): JsonObject {
    return this.#service(this.#tenant(tenant), serviceId).service;
  }

  hasService(tenant: string, serviceId: string): boolean {
    return this.#tenants.get(tenant)?.services.has(serviceId) ?? false;
  }

  listServices(tenant: string, withShared: boolean): JsonObject[] {
    const t = this.#tenants.get(tenant);
    if (t === undefined) return [];
    const out: JsonObject[] = [];
    for (const r of t.services.values()) if (withShared || !r.shared) out.push(r.service);
    return out;
  }

  unregisterService(tenant: string, serviceId: string, force: boolean): void {
    const t = this.#tenant(tenant);
    const r = this.#service(t, serviceId);
    if (r.shared) throw invalid('the registry itself cannot be unregistered');
    if (!force) {
      // service-center refuses to delete a provider others depend on (any version of its name), unless forced
      const nk0 = nameKeyOf(r.environment, r.appId, r.serviceName);
      const others = [...t.deps.consumersOf(nk0)].filter((id) => id !== serviceId && t.services.has(id));
      if (others.length > 0) throw new SimError(Codes.dependedOnConsumer, `Can not delete this service, other service rely it (${others.length} consumer(s))`);
      if (r.instances.size > 0) throw new SimError(Codes.deployedInstance, `service ${serviceId} still has ${r.instances.size} instance(s)`);
    }
    for (const instanceId of [...r.instances.keys()]) this.#deleteInstance(t, r, instanceId);
    t.services.delete(serviceId);
    t.byKey.delete(versionKey(r.environment, r.appId, r.serviceName, r.version));
    const nk = nameKeyOf(r.environment, r.appId, r.serviceName);
    const ids = t.byName.get(nk);
    ids?.delete(serviceId);
    if (ids?.size === 0) t.byName.delete(nk);
    t.nameRev.set(nk, ++this.#revision);
    // the deleted service's own rules (as a consumer) go with it, and so do the rules naming
    // it once no version of its name is left (service-center's CleanUpDependencyRules)
    t.deps.removeConsumer(serviceId);
    this.#cleanUpDependencies(t);
  }

  /**
   * `existence?type=microservice`: the id of that exact key. An empty appId is an invalid
   * parameter there (server/service/validator/microservice_validator.go: AppId Min 1),
   * not "does not exist".
   */
  existence(tenant: string, key: { appId: string; serviceName: string; version: string; environment: string }): string {
    if (key.appId === '') throw invalid('appId is required');
    const t = this.#tenant(tenant);
    const id = t.byKey.get(versionKey(key.environment, key.appId || 'default', key.serviceName, key.version));
    if (id !== undefined) return id;
    if (t.byName.has(nameKeyOf(key.environment, key.appId || 'default', key.serviceName))) {
      throw new SimError(Codes.serviceVersionNotExists, `service version ${key.version} does not exist`);
    }
    throw new SimError(Codes.serviceNotExists, 'service does not exist');
  }

  #service(t: Tenant, serviceId: string): ServiceRecord {
    const r = t.services.get(serviceId);
    if (r === undefined) throw new SimError(Codes.serviceNotExists, `service ${serviceId} does not exist`);
    return r;
  }

  // ---------------------------------------------------------------- instances

  registerInstance(tenant: string, serviceId: string, body: unknown, keepAlive = false): string {
    const t = this.#tenant(tenant);
    const r = this.#service(t, serviceId);
    if (!isObject(body)) throw invalid('instance is required');
    const hostName = optionalString(body, 'hostName', 'instance');
    if (hostName === undefined || hostName === '' || hostName.length > 64) throw invalid('instance.hostName is required (1-64 characters)');
    const endpoints = body['endpoints'];
    if (endpoints !== undefined && endpoints !== null && (!Array.isArray(endpoints) || endpoints.some((e) => typeof e !== 'string' || e === ''))) {
      throw invalid('instance.endpoints must be a list of URLs');
    }
    const status = optionalString(body, 'status', 'instance') || 'UP';
    if (!INSTANCE_STATUSES.has(status)) throw invalid(`instance.status ${JSON.stringify(status)} is invalid`);
    const properties = stringMap(body['properties'], 'instance.properties');
    const hc = body['healthCheck'] ?? { mode: 'push', interval: 30, times: 3 };
    if (!isObject(hc)) throw invalid('instance.healthCheck must be an object');
    const mode = hc['mode'] ?? 'push';
    if (mode !== 'push' && mode !== 'pull') throw invalid(`instance.healthCheck.mode ${JSON.stringify(mode)} is invalid`);
    const rawInterval = hc['interval'] ?? 30;
    const rawTimes = hc['times'] ?? 3;
    if (typeof rawInterval !== 'number' || typeof rawTimes !== 'number' || rawInterval < 0 || rawTimes < 0) {
      throw invalid('instance.healthCheck.interval and times must be non-negative numbers');
    }
    const interval = Math.max(rawInterval, this.#options.minHeartbeatInterval);
    const times = Math.max(rawTimes, this.#options.minHeartbeatTimes);
    const healthCheck = mode === 'push' ? { ...hc, mode, interval, times } : { ...hc, mode };
    const ttlMs = mode === 'push' && !keepAlive ? interval * (times + 1) * 1000 : undefined;

    const requestedId = optionalString(body, 'instanceId', 'instance');
    if (requestedId !== undefined && requestedId !== '') {
      const owner = t.instanceOwner.get(requestedId);
      if (owner !== undefined) {
        if (owner !== serviceId) throw invalid(`instanceId ${requestedId} belongs to another service`);
        // re-registering an existing instance renews it; no duplicate, no event
        const existing = r.instances.get(requestedId) as InstanceRecord;
        existing.lastBeat = this.#options.clock.now();
        return requestedId;
      }
    }
    const instanceId = requestedId !== undefined && requestedId !== '' ? requestedId : randomUUID().replaceAll('-', '');
    const ts = this.#seconds();
    const fields = { instanceId, serviceId, version: r.version, hostName, endpoints, status, properties, healthCheck, timestamp: ts, modTimestamp: ts };
    const instance = omitEmpty(Object.assign({}, fields, body, fields));
    r.instances.set(instanceId, { instance, lastBeat: this.#options.clock.now(), ttlMs });
    t.instanceOwner.set(instanceId, serviceId);
    this.#emit(t, r, 'CREATE', instance);
    return instanceId;
  }

  getInstance(tenant: string, serviceId: string, instanceId: string): JsonObject {
    const t = this.#tenant(tenant);
    return this.#instance(this.#service(t, serviceId), instanceId).instance;
  }

  heartbeat(tenant: string, serviceId: string, instanceId: string): void {
    const t = this.#tenant(tenant);
    this.#instance(this.#service(t, serviceId), instanceId).lastBeat = this.#options.clock.now();
  }

  setStatus(tenant: string, serviceId: string, instanceId: string, status: string | undefined): void {
    if (status === undefined || !INSTANCE_STATUSES.has(status)) throw invalid(`status value ${JSON.stringify(status ?? '')} is invalid`);
    const t = this.#tenant(tenant);
    const r = this.#service(t, serviceId);
    const rec = this.#instance(r, instanceId);
    rec.instance = { ...rec.instance, status, modTimestamp: this.#seconds() };
    this.#emit(t, r, 'UPDATE', rec.instance);
  }

  /** PUT .../microservices/{id}/properties: the service's properties replaced whole (datasource/etcd/ms.go PutServiceProperties). */
  setServiceProperties(tenant: string, serviceId: string, body: unknown): void {
    if (!isObject(body)) throw invalid('properties are required');
    const properties = stringMap(body['properties'], 'properties') ?? {};
    const r = this.#service(this.#tenant(tenant), serviceId);
    const { properties: _old, ...rest } = r.service;
    r.service = omitEmpty({ ...rest, properties, modTimestamp: this.#seconds() });
  }

  setProperties(tenant: string, serviceId: string, instanceId: string, body: unknown): void {
    if (!isObject(body)) throw invalid('properties are required');
    const properties = stringMap(body['properties'], 'properties') ?? {};
    const t = this.#tenant(tenant);
    const r = this.#service(t, serviceId);
    const rec = this.#instance(r, instanceId);
    const { properties: _old, ...rest } = rec.instance;
    rec.instance = omitEmpty({ ...rest, properties, modTimestamp: this.#seconds() });
    this.#emit(t, r, 'UPDATE', rec.instance);
  }

  unregisterInstance(tenant: string, serviceId: string, instanceId: string): void {
    const t = this.#tenant(tenant);
    const r = this.#service(t, serviceId);
    this.#instance(r, instanceId);
    this.#deleteInstance(t, r, instanceId);
  }

  /** Instances of one service (for GET .../instances), with their revision. */
  instancesOf(tenant: string, serviceId: string): { instances: JsonObject[]; rev: string } {
    const r = this.#service(this.#tenant(tenant), serviceId);
    return { instances: [...r.instances.values()].map((i) => i.instance), rev: revisionOf(r.id, r.rev) };
  }

  /** Deletes every push-mode instance whose lease ran out; returns how many. */
  sweepExpired(): number {
    const now = this.#options.clock.now();
    let expired = 0;
    for (const t of this.#tenants.values()) {
      for (const r of t.services.values()) {
        for (const [id, rec] of r.instances) {
          if (rec.ttlMs !== undefined && now - rec.lastBeat > rec.ttlMs) {
            this.#deleteInstance(t, r, id);
            expired++;
          }
        }
      }
    }
    return expired;
  }

  #instance(r: ServiceRecord, instanceId: string): InstanceRecord {
    const rec = r.instances.get(instanceId);
    if (rec === undefined) throw new SimError(Codes.instanceNotExists, `instance ${instanceId} does not exist`);
    return rec;
  }

  #deleteInstance(t: Tenant, r: ServiceRecord, instanceId: string): void {
    const rec = r.instances.get(instanceId);
    if (rec === undefined) return;
    r.instances.delete(instanceId);
    t.instanceOwner.delete(instanceId);
    this.#emit(t, r, 'DELETE', rec.instance);
  }

  #emit(t: Tenant, r: ServiceRecord, action: WatchAction, instance: JsonObject): void {
    r.rev = ++this.#revision;
    t.nameRev.set(nameKeyOf(r.environment, r.appId, r.serviceName), r.rev);
    const key = omitEmpty({ tenant: t.key, environment: r.environment, appId: r.appId, serviceName: r.serviceName, version: r.version });
    this.#options.onEvent({ tenant: t.key, nameKey: nameKeyOf(r.environment, r.appId, r.serviceName), frame: JSON.stringify({ action, key, instance }) });
  }

  // ---------------------------------------------------------------- discovery

  /**
   * A find of (appId, serviceName) by a consumer: every version's instances (the version
   * asked for is ignored). The consumer's environment is used and, unless the provider
   * is shared, its app must match. The dependency is recorded a moment later.
   */
  find(
    tenant: string,
    consumerId: string | undefined,
    key: { appId: string; serviceName: string; environment: string },
  ): { instances: JsonObject[]; rev: string } {
    const t = this.#tenant(tenant);
    let environment = key.environment;
    let consumer: ServiceRecord | undefined;
    if (consumerId !== undefined && consumerId !== '') {
      consumer = t.services.get(consumerId);
      if (consumer === undefined) throw new SimError(Codes.serviceNotExists, `consumer ${consumerId} does not exist`);
      environment = consumer.environment;
    }
    const appId = key.appId || 'default';
    let nk = nameKeyOf(environment, appId, key.serviceName);
    let providers = [...(t.byName.get(nk) ?? [])].map((id) => t.services.get(id) as ServiceRecord);
    if (providers.length === 0) {
      // The name may be an alias (`<appId>:<name>` as java-chassis registers it): the find
      // key's serviceName is matched against service.alias too.
      const aliased = [...t.services.values()].filter((s) => s.alias !== '' && s.alias === key.serviceName && s.environment === environment && s.appId === appId);
      providers = aliased;
      if (aliased[0] !== undefined) nk = nameKeyOf(aliased[0].environment, aliased[0].appId, aliased[0].serviceName);
    }
    if (providers.length === 0) throw new SimError(Codes.serviceNotExists, `provider ${appId}/${key.serviceName} does not exist`);
    if (consumer !== undefined && consumer.appId !== appId && !providers.some((p) => isGlobal(p))) {
      // Found, but not accessible from the consumer's app: service-center's find answers
      // 200 with no instances here (the accessible filter empties the result), not 400012.
      return { instances: [], rev: revisionOf(nk, 0) };
    }
    // A find of the registry's own entry takes service-center's shared path, which records nothing.
    if (consumer !== undefined && !providers.some((p) => p.shared) && !t.deps.has(consumer.id, nk)) {
      const consumerId = consumer.id;
      this.#later(t, consumerId, () => t.deps.add(consumerId, nk));
    }
    const instances = providers.flatMap((p) => [...p.instances.values()].map((i) => i.instance));
    return { instances, rev: revisionOf(nk, t.nameRev.get(nk) ?? 0) };
  }

  /** GET .../microservices/{id}/instances with X-ConsumerId: the same app rule, no dependency. */
  checkConsumerAccess(tenant: string, consumerId: string, providerId: string): void {
    const t = this.#tenant(tenant);
    const consumer = t.services.get(consumerId);
    if (consumer === undefined) throw new SimError(Codes.serviceNotExists, `consumer ${consumerId} does not exist`);
    const provider = this.#service(t, providerId);
    if (consumer.appId !== provider.appId && !isGlobal(provider)) {
      throw new SimError(Codes.serviceNotExists, `provider ${providerId} does not exist in app ${consumer.appId}`);
    }
  }

  /**
   * service-center records dependencies through a queue, asynchronously; so does this,
   * after dependencyDelayMs (at once when 0). A consumer deleted meanwhile records nothing.
   */
  #later(t: Tenant, consumerId: string, apply: () => void): void {
    const run = (): void => {
      if (t.services.has(consumerId)) apply();
    };
    if (this.#options.dependencyDelayMs <= 0) {
      run();
      return;
    }
    const timer = setTimeout(() => {
      this.#pendingDeps.delete(timer);
      run();
    }, this.#options.dependencyDelayMs);
    this.#pendingDeps.add(timer);
  }

  /** Consumers (serviceIds) whose recorded dependencies include this provider name. */
  dependentsOf(tenant: string, providerNameKey: string): ReadonlySet<string> {
    return this.#tenants.get(tenant)?.deps.consumersOf(providerNameKey) ?? new Set();
  }

  /** Provider name keys (environment/appId/serviceName) this consumer depends on. */
  dependenciesOf(tenant: string, consumerId: string): string[] {
    return this.#tenants.get(tenant)?.deps.providerNamesOf(consumerId) ?? [];
  }

  /**
   * `POST` (add) or `PUT` (override) `/registry/dependencies`: the body checked whole, every
   * consumer resolved by its exact key (an unknown one is 400012 and nothing is applied),
   * then the rules recorded as a find's are. An override also drops, across the tenant,
   * rules naming a provider of which no service exists (service-center cleans up then).
   */
  putDependencies(tenant: string, body: unknown, override: boolean): void {
    const t = this.#tenant(tenant);
    const resolved = parseDependencyRequest(body, override).map((entry) => {
      const c = entry.consumer;
      const consumerId = t.byKey.get(versionKey(c.environment, c.appId, c.serviceName, c.version));
      if (consumerId === undefined) throw new SimError(Codes.serviceNotExists, `Consumer ${c.environment}/${c.appId}/${c.serviceName}/${c.version} does not exist.`);
      return { consumerId, names: entry.providers.map((p) => nameKeyOf(p.environment, p.appId, p.serviceName)) };
    });
    for (const { consumerId, names } of resolved) {
      this.#later(t, consumerId, () => {
        if (override) t.deps.replace(consumerId, names);
        else for (const name of names) t.deps.add(consumerId, name);
        if (override) this.#cleanUpDependencies(t);
      });
    }
  }

  /** Records from a seed, at once: the consumer depends on these provider names. */
  seedDependencies(tenant: string, consumerId: string, providers: readonly DependencyKey[]): void {
    const t = this.#tenant(tenant);
    this.#service(t, consumerId);
    for (const p of providers) t.deps.add(consumerId, nameKeyOf(p.environment, p.appId || 'default', p.serviceName));
  }

  /**
   * GET .../microservices/{consumerId}/providers: every service (every version) of every
   * provider name the consumer depends on; a name is also matched against aliases, as
   * service-center's FindServiceIds does. `noSelf` leaves the consumer itself out.
   */
  providersOf(tenant: string, consumerId: string, noSelf: boolean): JsonObject[] {
    const t = this.#tenant(tenant);
    checkServiceId(consumerId);
    if (!t.services.has(consumerId)) throw new SimError(Codes.serviceNotExists, 'Consumer does not exist');
    const out = new Map<string, JsonObject>();
    for (const name of t.deps.providerNamesOf(consumerId)) {
      for (const p of this.#servicesOfName(t, name)) if (!(noSelf && p.id === consumerId)) out.set(p.id, p.service);
    }
    return [...out.values()];
  }

  /** GET .../microservices/{providerId}/consumers: the services depending on this provider's name. */
  consumersOf(tenant: string, providerId: string, noSelf: boolean): JsonObject[] {
    const t = this.#tenant(tenant);
    checkServiceId(providerId);
    const provider = t.services.get(providerId);
    if (provider === undefined) throw new SimError(Codes.serviceNotExists, 'Provider does not exist');
    const out: JsonObject[] = [];
    for (const id of t.deps.consumersOf(nameKeyOf(provider.environment, provider.appId, provider.serviceName))) {
      const consumer = t.services.get(id);
      if (consumer !== undefined && !(noSelf && id === providerId)) out.push(consumer.service);
    }
    return out;
  }

  /** The registry's own entry (hidden from lists, skipped in the relations graph unless withShared). */
  isShared(tenant: string, serviceId: string): boolean {
    return this.#tenants.get(tenant)?.services.get(serviceId)?.shared === true;
  }

  #servicesOfName(t: Tenant, name: string): ServiceRecord[] {
    const ids = t.byName.get(name);
    if (ids !== undefined) return [...ids].map((id) => t.services.get(id) as ServiceRecord);
    const [environment, appId, alias] = name.split('/') as [string, string, string];
    return [...t.services.values()].filter((s) => s.alias !== '' && s.alias === alias && s.environment === environment && s.appId === appId);
  }

  #cleanUpDependencies(t: Tenant): void {
    for (const name of t.deps.providerNames()) if (this.#servicesOfName(t, name).length === 0) t.deps.removeProviderName(name);
  }

  // ---------------------------------------------------------------- govern

  /**
   * The govern dump: without instance properties and service schemas, empty lists left out;
   * `withDependencies` (options=dependencies) adds each service's providers and consumers
   * as view.go does (noSelf, same domain).
   */
  governDump(tenant: string, withInstances: boolean, withShared: boolean, withDependencies = false): JsonObject[] {
    const t = this.#tenants.get(tenant);
    if (t === undefined) return [];
    const out: JsonObject[] = [];
    for (const r of t.services.values()) {
      if (r.shared && !withShared) continue;
      const { schemas: _schemas, ...microService } = r.service;
      const detail: JsonObject = { microService };
      if (withInstances && r.instances.size > 0) {
        detail['instances'] = [...r.instances.values()].map((i) => {
          const { properties: _properties, ...instance } = i.instance;
          return instance;
        });
      }
      if (withDependencies) {
        const providers = this.providersOf(tenant, r.id, true);
        const consumers = this.consumersOf(tenant, r.id, true);
        if (providers.length > 0) detail['providers'] = providers;
        if (consumers.length > 0) detail['consumers'] = consumers;
      }
      out.push(detail);
    }
    return out;
  }

  /** serviceId → instanceIds, every service of the tenant (shared ones excluded): the truth tests compare with. */
  snapshot(tenant: string): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const r of this.#tenants.get(tenant)?.services.values() ?? []) {
      if (!r.shared) out.set(r.id, new Set(r.instances.keys()));
    }
    return out;
  }

  clear(): void {
    this.#tenants.clear();
  }

  close(): void {
    for (const timer of this.#pendingDeps) clearTimeout(timer);
    this.#pendingDeps.clear();
  }
}

/** GetServiceReqValidator: a serviceId is 1-64 characters without spaces. */
function checkServiceId(serviceId: string): void {
  if (serviceId.length < 1 || serviceId.length > 64 || /\s/.test(serviceId)) throw invalid(`serviceId ${JSON.stringify(serviceId)} is invalid (1-64 characters, no spaces)`);
}

function isGlobal(r: ServiceRecord): boolean {
  const properties = r.service['properties'];
  return r.shared || (isObject(properties) && properties['allowCrossApp'] === 'true');
}

/** An opaque revision that changes with every change under `scope` (an id or a name key). */
function revisionOf(scope: string, revision: number): string {
  return createHash('sha1').update(`${scope}#${revision}`).digest('hex').slice(0, 16);
}
