// The ServiceComb service-center v4 client: the calls sc2mesh makes, each answer
// validated. Resilience (login, failover, breakers, retries) lives in registry-http.ts.
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { parseGovernDump, type GovernDump } from '../model/govern-dump.ts';
import { MicroServiceInstanceSchema, MicroServiceSchema, type InstanceStatus, type MicroService, type MicroServiceInstance, type ServiceDetail } from '../model/registry.ts';
import { parseOrThrow, toValidationError } from '../model/validation.ts';
import type { GovernanceKind } from '../governance/kinds.ts';
import { ErrorCodes, isRegistryError, type RegistryErrorInfo } from './errors.ts';
import { listDependencies, listProviders, type DependencyGraph, type ProvidersResult } from './dependency-reader.ts';
import { listGovernance, type GovernanceListing } from './governance-reader.ts';
import { RegistryHttp, type RegistryAnswer, type RegistryConnectionOptions, type RegistryRequest } from './registry-http.ts';
import {
  BatchFindResponseSchema,
  InstanceIdResponseSchema,
  InstancesResponseSchema,
  ServiceIdResponseSchema,
  ServiceResponseSchema,
  ServicesResponseSchema,
} from './responses.ts';

/** One provider to find. `version` is ignored by servers since v2.1.0 (every version comes back). */
export interface FindKey {
  appId: string;
  serviceName: string;
  environment?: string;
  version?: string;
  /** the rev of the last answer for this key: unchanged → reported in notModified */
  rev?: string;
}

export interface BatchFindResult {
  updated: { index: number; rev: string; instances: MicroServiceInstance[] }[];
  notModified: number[];
  failed: { indexes: number[]; error: RegistryErrorInfo }[];
}

export interface RegistryReader {
  listServices(): Promise<MicroService[]>;
  /** one call, every service with instances */
  governDump(): Promise<ServiceDetail[]>;
  getInstances(serviceId: string, consumerId: string, rev?: string): Promise<{ instances: MicroServiceInstance[]; rev: string } | 'not-modified'>;
  findInstances(consumerId: string, keys: FindKey[]): Promise<BatchFindResult>;
}

export interface ServiceKey {
  appId: string;
  serviceName: string;
  version: string;
  environment?: string;
}

export interface NewService extends ServiceKey {
  /** an explicit id; by default the registry makes one */
  serviceId?: string;
  description?: string;
  level?: string;
  properties?: Record<string, string>;
  [field: string]: unknown;
}

export interface NewInstance {
  /** re-sending an existing id returns it (no duplicate) */
  instanceId?: string;
  hostName: string;
  endpoints?: string[];
  status?: InstanceStatus;
  properties?: Record<string, string>;
  healthCheck?: { mode: 'push' | 'pull'; interval?: number; times?: number; port?: number; url?: string };
  dataCenterInfo?: { name?: string; region?: string; availableZone?: string };
  [field: string]: unknown;
}

export interface RegistryWriter {
  /** the serviceId of that exact key, or undefined when it is not registered */
  serviceExists(key: ServiceKey): Promise<string | undefined>;
  registerService(service: NewService): Promise<string>;
  unregisterService(serviceId: string, options?: { force?: boolean }): Promise<void>;
  registerInstance(serviceId: string, instance: NewInstance): Promise<string>;
  unregisterInstance(serviceId: string, instanceId: string): Promise<void>;
  heartbeat(serviceId: string, instanceId: string): Promise<void>;
  setInstanceStatus(serviceId: string, instanceId: string, status: InstanceStatus): Promise<void>;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface RegistryClientOptions extends RegistryConnectionOptions {
  /** told about every service entry skipped as malformed (also logged at warn) */
  onRejected?: (rejected: { service: string; reason: string }) => void;
}

export class RegistryClient implements RegistryReader, RegistryWriter {
  readonly http: RegistryHttp;
  readonly #logger: Logger;
  readonly #onRejected: RegistryClientOptions['onRejected'];

  constructor(options: RegistryClientOptions) {
    this.http = new RegistryHttp(options);
    this.#logger = options.logger ?? silentLogger;
    this.#onRejected = options.onRejected;
  }

  get domain(): string {
    return this.http.domain;
  }

  get project(): string {
    return this.http.project;
  }

  #path(rest: string): string {
    return `/v4/${encodeURIComponent(this.http.project)}${rest}`;
  }

  async #call(request: RegistryRequest): Promise<RegistryAnswer> {
    return this.http.request(request);
  }

  /** Every service (one entry per version). The registry's own entry is hidden unless withShared. */
  async listServices(options: CallOptions & { withShared?: boolean } = {}): Promise<MicroService[]> {
    const answer = await this.#call({
      method: 'GET',
      path: this.#path('/registry/microservices'),
      query: { withShared: options.withShared === true ? 'true' : undefined },
      idempotent: true,
      signal: options.signal,
    });
    const envelope = parseOrThrow(ServicesResponseSchema, answer.json ?? {}, 'listServices');
    const services: MicroService[] = [];
    (envelope.services ?? []).forEach((raw, index) => {
      const parsed = MicroServiceSchema.safeParse(raw);
      if (parsed.success) services.push(parsed.data);
      else this.#reject(`services[${index}]`, toValidationError(parsed.error, raw, `services[${index}]`).message);
    });
    return services;
  }

  /** One service, or undefined when the id is unknown (400012). */
  async getService(serviceId: string, options: CallOptions = {}): Promise<MicroService | undefined> {
    try {
      const answer = await this.#call({ method: 'GET', path: this.#path(`/registry/microservices/${encodeURIComponent(serviceId)}`), idempotent: true, signal: options.signal });
      return parseOrThrow(ServiceResponseSchema, answer.json, 'getService').service;
    } catch (error) {
      if (isRegistryError(error, ErrorCodes.serviceNotExists)) return undefined;
      throw error;
    }
  }

  async governDump(options: CallOptions = {}): Promise<ServiceDetail[]> {
    return (await this.governDumpDetailed(options)).services;
  }

  /** The dump with the entries skipped as malformed, each with its reason. */
  async governDumpDetailed(options: CallOptions = {}): Promise<GovernDump> {
    const answer = await this.#call({ method: 'GET', path: this.#path('/govern/microservices'), query: { options: 'instances' }, idempotent: true, signal: options.signal });
    const dump = parseGovernDump(answer.json ?? {});
    for (const r of dump.rejected) this.#reject(r.service, r.reason);
    return dump;
  }

  /** Every governance kind's rules (or those asked for), raw; a kind the server lacks is listed in `unavailable`. */
  async listGovernance(kinds?: readonly GovernanceKind[], options: CallOptions = {}): Promise<GovernanceListing> {
    return listGovernance(this.http, kinds, options);
  }

  /** service-center's consumer→provider graph (GET /govern/relations, one call); malformed lines are in `rejected` (and logged). */
  async listDependencies(options: CallOptions = {}): Promise<DependencyGraph> {
    const graph = await listDependencies(this.http, options);
    for (const r of graph.rejected) this.#reject(`relations ${r.where}`, r.reason);
    return graph;
  }

  /** One consumer's providers; `found: false` when the registry does not know the consumer, throws when it cannot be read. */
  async listProviders(consumerId: string, options: CallOptions & { noSelf?: boolean } = {}): Promise<ProvidersResult> {
    const result = await listProviders(this.http, consumerId, options);
    if (result.found) for (const r of result.rejected) this.#reject(`providers of ${consumerId} ${r.where}`, r.reason);
    return result;
  }

  async getInstances(
    serviceId: string,
    consumerId: string,
    rev?: string,
    options: CallOptions = {},
  ): Promise<{ instances: MicroServiceInstance[]; rev: string } | 'not-modified'> {
    const headers: Record<string, string> = {};
    if (consumerId !== '') headers['x-consumerid'] = consumerId;
    const answer = await this.#call({
      method: 'GET',
      path: this.#path(`/registry/microservices/${encodeURIComponent(serviceId)}/instances`),
      query: { rev: rev === '' ? undefined : rev },
      headers,
      idempotent: true,
      signal: options.signal,
    });
    if (answer.status === 304) return 'not-modified';
    const body = parseOrThrow(InstancesResponseSchema, answer.json ?? {}, 'getInstances');
    const header = answer.headers['x-resource-revision'];
    return { instances: body.instances ?? [], rev: (Array.isArray(header) ? header[0] : header) ?? '' };
  }

  async findInstances(consumerId: string, keys: FindKey[], options: CallOptions = {}): Promise<BatchFindResult> {
    if (keys.length === 0) return { updated: [], notModified: [], failed: [] };
    const headers: Record<string, string> = {};
    if (consumerId !== '') headers['x-consumerid'] = consumerId;
    const answer = await this.#call({
      method: 'POST',
      path: this.#path('/registry/instances/action'),
      query: { type: 'query' },
      headers,
      body: {
        services: keys.map((k) => ({
          // "0+" means every version to servers before v2.1.0; newer ones ignore it
          service: { appId: k.appId, serviceName: k.serviceName, version: k.version ?? '0+', environment: k.environment ?? '' },
          rev: k.rev ?? '',
        })),
      },
      idempotent: true,
      signal: options.signal,
    });
    const body = parseOrThrow(BatchFindResponseSchema, answer.json ?? {}, 'findInstances');
    const services = body.services ?? {};
    const result: BatchFindResult = {
      updated: (services.updated ?? []).map((u) => ({ index: u.index, rev: u.rev, instances: this.#instancesOf(u.instances ?? [], keys[u.index], u.index) })),
      notModified: services.notModified ?? [],
      failed: (services.failed ?? []).map((f) => ({
        indexes: f.indexes ?? [],
        error: { errorCode: f.error.errorCode, errorMessage: f.error.errorMessage, detail: f.error.detail },
      })),
    };
    for (const index of [...result.updated.map((u) => u.index), ...result.notModified, ...result.failed.flatMap((f) => f.indexes)]) {
      if (index >= keys.length) throw new Error(`findInstances: index ${index} out of range (sent ${keys.length} keys)`);
    }
    return result;
  }

  async serviceExists(key: ServiceKey, options: CallOptions = {}): Promise<string | undefined> {
    try {
      const answer = await this.#call({
        method: 'GET',
        path: this.#path('/registry/existence'),
        query: { type: 'microservice', appId: key.appId, serviceName: key.serviceName, version: key.version, env: key.environment ?? '' },
        idempotent: true,
        signal: options.signal,
      });
      return parseOrThrow(ServiceIdResponseSchema, answer.json, 'serviceExists').serviceId;
    } catch (error) {
      if (isRegistryError(error, ErrorCodes.serviceNotExists) || isRegistryError(error, ErrorCodes.serviceVersionNotExists)) return undefined;
      throw error;
    }
  }

  /** Registers (or finds: the same key answers the same id) a service; returns its serviceId. */
  async registerService(service: NewService, options: CallOptions = {}): Promise<string> {
    const answer = await this.#call({
      method: 'POST',
      path: this.#path('/registry/microservices'),
      body: { service: { ...service, environment: service.environment ?? '' } },
      // registering the same key again answers the same id, so a resend is harmless
      idempotent: true,
      signal: options.signal,
    });
    return parseOrThrow(ServiceIdResponseSchema, answer.json, 'registerService').serviceId;
  }

  async unregisterService(serviceId: string, options: CallOptions & { force?: boolean } = {}): Promise<void> {
    await this.#call({
      method: 'DELETE',
      path: this.#path(`/registry/microservices/${encodeURIComponent(serviceId)}`),
      query: { force: options.force === true ? 'true' : undefined },
      idempotent: false,
      signal: options.signal,
    });
  }

  async registerInstance(serviceId: string, instance: NewInstance, options: CallOptions = {}): Promise<string> {
    const answer = await this.#call({
      method: 'POST',
      path: this.#path(`/registry/microservices/${encodeURIComponent(serviceId)}/instances`),
      body: { instance },
      // without an explicit instanceId a resend could register a second instance
      idempotent: instance.instanceId !== undefined,
      signal: options.signal,
    });
    return parseOrThrow(InstanceIdResponseSchema, answer.json, 'registerInstance').instanceId;
  }

  async unregisterInstance(serviceId: string, instanceId: string, options: CallOptions = {}): Promise<void> {
    await this.#call({ method: 'DELETE', path: this.#instancePath(serviceId, instanceId), idempotent: false, signal: options.signal });
  }

  async heartbeat(serviceId: string, instanceId: string, options: CallOptions = {}): Promise<void> {
    await this.#call({ method: 'PUT', path: `${this.#instancePath(serviceId, instanceId)}/heartbeat`, idempotent: true, signal: options.signal });
  }

  async setInstanceStatus(serviceId: string, instanceId: string, status: InstanceStatus, options: CallOptions = {}): Promise<void> {
    await this.#call({ method: 'PUT', path: `${this.#instancePath(serviceId, instanceId)}/status`, query: { value: status }, idempotent: true, signal: options.signal });
  }

  async setInstanceProperties(serviceId: string, instanceId: string, properties: Record<string, string>, options: CallOptions = {}): Promise<void> {
    await this.#call({ method: 'PUT', path: `${this.#instancePath(serviceId, instanceId)}/properties`, body: { properties }, idempotent: true, signal: options.signal });
  }

  /** Replaces the service's properties whole (service-center's PUT .../properties is not a merge). */
  async setServiceProperties(serviceId: string, properties: Record<string, string>, options: CallOptions = {}): Promise<void> {
    await this.#call({ method: 'PUT', path: this.#path(`/registry/microservices/${encodeURIComponent(serviceId)}/properties`), body: { properties }, idempotent: true, signal: options.signal });
  }

  /** Aborts calls in flight and drops idle connections. */
  close(): void {
    this.http.close();
  }

  #instancePath(serviceId: string, instanceId: string): string {
    return this.#path(`/registry/microservices/${encodeURIComponent(serviceId)}/instances/${encodeURIComponent(instanceId)}`);
  }

  #instancesOf(raw: readonly unknown[], key: FindKey | undefined, index: number): MicroServiceInstance[] {
    const out: MicroServiceInstance[] = [];
    raw.forEach((entry, i) => {
      const parsed = MicroServiceInstanceSchema.safeParse(entry);
      if (parsed.success) out.push(parsed.data);
      else {
        const where = `services.updated[${index}].instances[${i}]`;
        const name = key === undefined ? where : `${key.appId}/${key.serviceName} (${where})`;
        this.#reject(name, toValidationError(parsed.error, entry, where).message);
      }
    });
    return out;
  }

  #reject(service: string, reason: string): void {
    this.#logger.warn({ service, reason }, 'registry entry skipped: malformed');
    this.#onRejected?.({ service, reason });
  }
}
