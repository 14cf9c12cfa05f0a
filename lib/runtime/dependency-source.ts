// The registry's consumer→provider records as the Sidecar step wants them: by service key
// (environment, app, name), versions folded. service-center's graph names services by
// serviceId without their environment, so it is joined with the service listing (no
// instances): two calls per sync, neither of them a dump. A service in the graph but not in
// the listing was deleted between the two answers and is left out (it has no host to
// reach); anything that cannot be read throws RegistryReadError, so the caller writes and
// deletes no Sidecar on a guess.
import type { Logger } from '../log.ts';
import type { MicroService } from '../model/registry.ts';
import type { ServiceKeyParts } from '../names/service-names.ts';
import type { DependencyGraph } from '../servicecenter/index.ts';
import { RegistryReadError } from '../pipeline/contracts.ts';
import type { DependencyRecord } from '../render/sidecar-egress.ts';

export interface DependencySourceClient {
  listDependencies(): Promise<DependencyGraph>;
  listServices(): Promise<MicroService[]>;
}

export interface DependencyReading {
  records: DependencyRecord[];
  /** graph entries the registry sent malformed, or that name a service no longer listed */
  rejected: string[];
}

function partsOf(service: MicroService): ServiceKeyParts {
  return { environment: service.environment ?? '', appId: service.appId, serviceName: service.serviceName };
}

export async function readDependencyRecords(client: DependencySourceClient, logger: Logger): Promise<DependencyReading> {
  let graph: DependencyGraph;
  let services: MicroService[];
  try {
    [graph, services] = await Promise.all([client.listDependencies(), client.listServices()]);
  } catch (error) {
    throw new RegistryReadError(`dependency records unreadable: ${(error as Error).message}`, { cause: error });
  }
  const byId = new Map(services.map((s) => [s.serviceId, s]));
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
      else providers.push(partsOf(provider));
    }
    records.push({ consumer: partsOf(listed), providers });
  }
  for (const reason of rejected) logger.warn({ reason }, 'dependency record left out');
  return { records, rejected };
}
