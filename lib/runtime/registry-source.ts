// The pipeline's RegistrySource over the service-center client. The sync and resync read
// everything in one govern dump; a push reads only the services it pushes: one batch find
// per (environment, app) for every key of that app (every version in one answer, so the
// bytes read follow the change, not the registry). A find is scoped by its consumer's app
// and environment, so the reader uses a consumer service per (environment, app) under the
// watcher's own name and version: the same key answers the same serviceId, so this is
// idempotent, adds nothing the watcher does not register anyway, and survives cold starts.
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { MicroService, MicroServiceInstance, ServiceDetail } from '../model/registry.ts';
import { partsOfService, readDependencyRecords } from './dependency-source.ts';
import { systemClock, type Clock } from '../time/clock.ts';
import { ErrorCodes, isRegistryError, type DependencyGraph, type BatchFindResult, type FindKey, type NewService, type RegistryErrorInfo, type ServiceKey } from '../servicecenter/index.ts';
import { RegistryReadError, type GovernanceListing, type RegistryRead, type RegistrySource } from '../pipeline/contracts.ts';
import { partsOf } from '../render/service-group.ts';
import { parseServiceKey, serviceKeyOf, type ServiceKeyParts } from '../names/service-names.ts';

/** The client calls this source makes (RegistryClient has them all). */
export interface RegistrySourceClient {
  governDump(): Promise<ServiceDetail[]>;
  listServices(): Promise<MicroService[]>;
  getService(serviceId: string): Promise<MicroService | undefined>;
  serviceExists(key: ServiceKey): Promise<string | undefined>;
  registerService(service: NewService): Promise<string>;
  findInstances(consumerId: string, keys: FindKey[]): Promise<BatchFindResult>;
  /** absent: the source cannot read governance rules (the pipeline then refuses governance.enabled) */
  listGovernance?(): Promise<GovernanceListing>;
  /** absent: the source cannot read dependency records (the Sidecar step then writes nothing) */
  listDependencies?(): Promise<DependencyGraph>;
}

export interface RegistrySourceOptions {
  /** the watcher's consumer service name (config registry.watcherServiceName) */
  consumerServiceName: string;
  /** the watcher's consumer version; both must match for the ids to be shared */
  consumerVersion?: string;
  /** keys per batch find request (a request body stays far under any server limit) */
  findPageSize?: number;
  logger?: Logger;
  clock?: Pick<Clock, 'now'>;
}

export const CONSUMER_VERSION = '1.0.0';
const DEFAULT_FIND_PAGE = 500;

function unavailable(error: unknown): RegistryReadError {
  if (error instanceof RegistryReadError) return error;
  return new RegistryReadError((error as Error).message, { cause: error });
}

function describe(error: RegistryErrorInfo): string {
  return `${error.errorCode}${error.errorMessage === undefined ? '' : ` ${error.errorMessage}`}`;
}

interface AppKeys {
  appId: string;
  environment: string;
  keys: string[];
}

export function createRegistrySource(client: RegistrySourceClient, options: RegistrySourceOptions): RegistrySource {
  const logger = options.logger ?? silentLogger;
  const consumerVersion = options.consumerVersion ?? CONSUMER_VERSION;
  const pageSize = options.findPageSize ?? DEFAULT_FIND_PAGE;
  const listGovernance = client.listGovernance?.bind(client);
  const listDependencies = client.listDependencies?.bind(client);
  // The services of the last dump, for the dependency records' join (see dependency-source.ts):
  // the Sidecar step runs right after the sync or resync that read it.
  let lastDump: { at: number; byId: Map<string, ServiceKeyParts> } | undefined;
  const DUMP_FRESH_MS = 5 * 60_000;
  const clock = options.clock ?? systemClock;
  /** consumer serviceId per `${environment}\0${appId}` */
  const consumers = new Map<string, string>();
  /** a serviceId's version never changes: looked up once when an instance lacks it */
  const versions = new Map<string, string>();

  const consumerFor = async (appId: string, environment: string, fresh: boolean): Promise<string> => {
    const cacheKey = `${environment}\u0000${appId}`;
    const known = consumers.get(cacheKey);
    if (known !== undefined && !fresh) return known;
    const key = { appId, serviceName: options.consumerServiceName, version: consumerVersion, environment };
    const id =
      (await client.serviceExists(key)) ??
      (await client.registerService({ ...key, description: 'sc2mesh: consumer of every provider of this app, to find and watch its instances' }));
    if (id !== known) logger.info({ appId, environment, consumerId: id }, 'registry consumer service for finds');
    consumers.set(cacheKey, id);
    return id;
  };

  const versionOf = async (instance: MicroServiceInstance, serviceId: string): Promise<string | undefined> => {
    if (instance.version !== undefined && instance.version !== '') return instance.version;
    const cached = versions.get(serviceId);
    if (cached !== undefined) return cached;
    const service = await client.getService(serviceId);
    if (service !== undefined) versions.set(serviceId, service.version);
    return service?.version;
  };

  /** Every version of one service as the push renders it: one detail per serviceId with instances. */
  const detailsOf = async (serviceKey: string, instances: readonly MicroServiceInstance[]): Promise<ServiceDetail[] | string> => {
    const parts = parseServiceKey(serviceKey);
    const byId = new Map<string, ServiceDetail>();
    for (const instance of instances) {
      const serviceId = instance.serviceId;
      if (serviceId === undefined || serviceId === '') return `instance ${instance.instanceId} carries no serviceId`;
      let detail = byId.get(serviceId);
      if (detail === undefined) {
        const version = await versionOf(instance, serviceId);
        if (version === undefined) return `service ${serviceId} of instance ${instance.instanceId} is not in the registry any more`;
        const microService: MicroService = { serviceId, appId: parts.appId, serviceName: parts.serviceName, version, environment: parts.environment };
        detail = { microService, instances: [] };
        byId.set(serviceId, detail);
      }
      (detail.instances as MicroServiceInstance[]).push(instance);
    }
    return [...byId.values()];
  };

  const findPage = async (app: AppKeys, keys: readonly string[], read: RegistryRead): Promise<void> => {
    const findKeys: FindKey[] = keys.map((k) => {
      const parts = parseServiceKey(k);
      return { appId: parts.appId, serviceName: parts.serviceName, environment: parts.environment };
    });
    let result: BatchFindResult | undefined;
    for (let attempt = 0; attempt < 2 && result === undefined; attempt++) {
      const consumerId = await consumerFor(app.appId, app.environment, attempt > 0);
      let answer: BatchFindResult;
      try {
        answer = await client.findInstances(consumerId, findKeys);
      } catch (error) {
        // One key the server's validator rejects fails the whole request: ask one by one.
        if (isRegistryError(error, ErrorCodes.invalidParams) && keys.length > 1) {
          for (const key of keys) await findPage(app, [key], read);
          return;
        }
        if (isRegistryError(error, ErrorCodes.invalidParams)) {
          read.unreadable.set(keys[0] as string, (error as Error).message);
          return;
        }
        throw error;
      }
      // "Service does not exist" is also the answer for a consumer that is gone (a restarted
      // registry): only once the consumer is known to exist does it mean the provider vanished.
      // A key answered with instances proves it does (the consumer is checked before any
      // provider), so a push that also asks for a rival nobody registered costs no lookup.
      const notFound = answer.failed.some((f) => f.error.errorCode === ErrorCodes.serviceNotExists);
      const consumerSeen = answer.updated.length > 0;
      if (notFound && !consumerSeen && attempt === 0 && (await client.getService(consumerId)) === undefined) continue;
      result = answer;
    }
    if (result === undefined) throw new RegistryReadError('the registry rejects the consumer service it just registered');
    for (const u of result.updated) {
      const key = keys[u.index] as string;
      const details = await detailsOf(key, u.instances);
      if (typeof details === 'string') read.unreadable.set(key, details);
      else read.services.set(key, details);
    }
    for (const f of result.failed) {
      for (const index of f.indexes) {
        const key = keys[index] as string;
        if (f.error.errorCode === ErrorCodes.serviceNotExists) read.missing.add(key);
        else read.unreadable.set(key, describe(f.error));
      }
    }
    for (const index of result.notModified) {
      // never asked for (no rev sent); a server that says so anyway gave no data
      read.unreadable.set(keys[index] as string, 'answered notModified without a rev');
    }
    for (const key of keys) {
      if (!read.services.has(key) && !read.missing.has(key) && !read.unreadable.has(key)) read.unreadable.set(key, 'missing from the batch find answer');
    }
  };

  return {
    async readAll() {
      let dump: ServiceDetail[];
      try {
        dump = await client.governDump();
      } catch (error) {
        throw unavailable(error);
      }
      if (listDependencies !== undefined) lastDump = { at: clock.now(), byId: new Map(dump.map((d) => [d.microService.serviceId, partsOfService(d.microService)])) };
      return dump;
    },

    async readServices(serviceKeys) {
      const read: RegistryRead = { services: new Map(), missing: new Set(), unreadable: new Map() };
      const apps = new Map<string, AppKeys>();
      for (const key of new Set(serviceKeys)) {
        const parts = parseServiceKey(key);
        const appKey = `${parts.environment}\u0000${parts.appId}`;
        let app = apps.get(appKey);
        if (app === undefined) apps.set(appKey, (app = { appId: parts.appId, environment: parts.environment, keys: [] }));
        app.keys.push(key);
      }
      try {
        for (const app of apps.values()) {
          for (let i = 0; i < app.keys.length; i += pageSize) await findPage(app, app.keys.slice(i, i + pageSize), read);
        }
      } catch (error) {
        throw unavailable(error);
      }
      return read;
    },

    ...(listGovernance === undefined
      ? {}
      : {
          async readGovernance() {
            try {
              return await listGovernance();
            } catch (error) {
              throw unavailable(error);
            }
          },
        }),

    ...(listDependencies === undefined
      ? {}
      : {
          readDependencies: () =>
            readDependencyRecords({ listDependencies, listServices: () => client.listServices() }, logger, () => (lastDump !== undefined && clock.now() - lastDump.at < DUMP_FRESH_MS ? lastDump.byId : undefined)),
        }),

    async listServiceKeys() {
      let services: MicroService[];
      try {
        services = await client.listServices();
      } catch (error) {
        throw unavailable(error);
      }
      const keys = new Set<string>();
      for (const s of services) keys.add(serviceKeyOf(partsOf(s)));
      return keys;
    },
  };
}
