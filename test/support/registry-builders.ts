// Small builders for registry records in tests: every field a test does not care about
// gets a realistic default, so a test reads as the one fact it checks.
import type { MicroService, MicroServiceInstance, ServiceDetail } from '../../lib/model/registry.ts';
import { groupServices, type ServiceGroup } from '../../lib/render/service-group.ts';

let counter = 0;

export function service(fields: Partial<MicroService> = {}): MicroService {
  counter++;
  return {
    serviceId: fields.serviceId ?? `svc${String(counter).padStart(37, '0')}`,
    appId: 'shop',
    serviceName: 'orders',
    version: '1.0.0',
    environment: '',
    ...fields,
  } as MicroService;
}

export function instance(fields: Partial<MicroServiceInstance> = {}): MicroServiceInstance {
  counter++;
  return {
    instanceId: `inst${counter}`,
    hostName: 'host',
    endpoints: [`rest://10.0.${Math.floor(counter / 250) % 250}.${(counter % 250) + 1}:8080`],
    status: 'UP',
    ...fields,
  } as MicroServiceInstance;
}

export function detail(svc: MicroService, instances: MicroServiceInstance[] = []): ServiceDetail {
  return { microService: svc, instances: instances.map((i) => ({ serviceId: svc.serviceId, version: svc.version, ...i })) };
}

/** One group from details that all share a key. */
export function group(...details: ServiceDetail[]): ServiceGroup {
  const groups = groupServices(details);
  if (groups.length !== 1) throw new Error(`expected one service group, got ${groups.length}`);
  return groups[0] as ServiceGroup;
}
