// The registry's consumer→provider records as the Sidecar step wants them: by service key
// (environment, app, name), versions folded. service-center's graph names services by
// serviceId without their environment, so it is joined with what the registry lists: the
// services of the run's own dump when it has every id (the sync and the resync read one
// just before), else the service listing (no instances). A service in the graph but in
// neither was deleted between the two answers and is left out (it has no host to reach);
// anything that cannot be read throws RegistryReadError, so the caller writes and deletes
// no Sidecar on a guess.
import type { Logger } from '../log.ts';
import type { MicroService } from '../model/registry.ts';
import type { ServiceKeyParts } from '../names/service-names.ts';
import type { DependencyGraph } from '../servicecenter/index.ts';
import { RegistryReadError, type DependencyReading } from '../pipeline/contracts.ts';
import type { DependencyRecord } from '../render/sidecar-egress.ts';

export interface DependencySourceClient {
  listDependencies(): Promise<DependencyGraph>;
  listServices(): Promise<MicroService[]>;
}

export function partsOfService(service: Pick<MicroService, 'environment' | 'appId' | 'serviceName'>): ServiceKeyParts {
  return { environment: service.environment ?? '', appId: service.appId, serviceName: service.serviceName };
}

/** serviceId → key parts, from the dump a sync or resync just read (undefined: none fresh). */
export type KnownServices = () => ReadonlyMap<string, ServiceKeyParts> | undefined;

export async function readDependencyRecords(client: DependencySourceClient, logger: Logger, known: KnownServices = () => undefined): Promise<DependencyReading> {
  let graph: DependencyGraph;
  let byId: ReadonlyMap<string, ServiceKeyParts>;
  try {
    graph = await client.listDependencies();
    const ids = new Set<string>();
    for (const [consumerId, consumer] of graph.consumers) {
      ids.add(consumerId);
      for (const p of consumer.providers) ids.add(p.serviceId);
    }
    const fresh = known();
    byId = fresh !== undefined && [...ids].every((id) => fresh.has(id)) ? fresh : new Map((await client.listServices()).map((s) => [s.serviceId, partsOfService(s)]));
  } catch (error) {
    throw new RegistryReadError(`dependency records unreadable: ${(error as Error).message}`, { cause: error });
  }
  const rejected = graph.rejected.map((r) => r.reason);
  const records: DependencyRecord[] = [];
  for (const [consumerId, consumer] of graph.consumers) {
    const listed = byId.get(consumerId);
    if (listed === undefined) {
      rejected.push(`consumer ${consumer.serviceName} (${consumerId}) is in the dependency graph but no longer listed`);
      continue;
    }
    const providers: ServiceKeyParts[] = [];
    for (const p of consumer.providers) {
      const provider = byId.get(p.serviceId);
      if (provider === undefined) rejected.push(`provider ${p.serviceName} (${p.serviceId}) of ${consumer.serviceName} is no longer listed`);
      else providers.push(provider);
    }
    records.push({ consumer: listed, providers });
  }
  for (const reason of rejected) logger.warn({ reason }, 'dependency record left out');
  return { records, rejected };
}
