// All versions of a service share one ServiceEntry host, so rendering works on groups:
// every registry MicroService with the same (environment, appId, serviceName).
import type { MicroService, MicroServiceInstance, ServiceDetail } from '../model/registry.ts';
import { serviceKeyOf, type ServiceKeyParts } from '../names/service-names.ts';

export interface ServiceVersion {
  service: MicroService;
  instances: readonly MicroServiceInstance[];
}

export interface ServiceGroup {
  key: string;
  parts: ServiceKeyParts;
  /** sorted by serviceId, so the group is the same whatever the listing order */
  versions: ServiceVersion[];
}

export function partsOf(service: MicroService): ServiceKeyParts {
  return { environment: service.environment ?? '', appId: service.appId, serviceName: service.serviceName };
}

/** Display form for logs and reports: `app/name` plus `(env)` when there is one. */
export function displayName(parts: ServiceKeyParts): string {
  return parts.environment === '' ? `${parts.appId}/${parts.serviceName}` : `${parts.appId}/${parts.serviceName} (${parts.environment})`;
}

function byServiceId(a: ServiceVersion, b: ServiceVersion): number {
  return a.service.serviceId < b.service.serviceId ? -1 : a.service.serviceId > b.service.serviceId ? 1 : 0;
}

/** Groups are returned sorted by key. */
export function groupServices(details: readonly ServiceDetail[]): ServiceGroup[] {
  const groups = new Map<string, ServiceGroup>();
  for (const detail of details) {
    const parts = partsOf(detail.microService);
    const key = serviceKeyOf(parts);
    let group = groups.get(key);
    if (group === undefined) {
      group = { key, parts, versions: [] };
      groups.set(key, group);
    }
    group.versions.push({ service: detail.microService, instances: detail.instances ?? [] });
  }
  const out = [...groups.values()];
  for (const group of out) group.versions.sort(byServiceId);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
