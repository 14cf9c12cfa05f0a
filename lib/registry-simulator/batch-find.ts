// POST /v4/{project}/registry/instances/action?type=query: the batch find, both parts —
// `services` by (environment, appId, serviceName) with a consumer, `instances` by serviceId
// and instanceId — each answering {updated, notModified, failed} per entry, as
// server/service/disco/instance.go (batchFindServices, batchFindInstances) does.
import { createHash } from 'node:crypto';
import { Codes, SimError } from './sim-error.ts';
import type { JsonObject, RegistryStore } from './store.ts';
import { field, listOrOmit } from './wire.ts';

/** `{updated, notModified, failed}` of one part of a batch find, empty lists left out. */
function findPart(updated: JsonObject[], notModified: number[], failed: Map<string, { indexes: number[]; error: JsonObject }>): JsonObject {
  return { ...listOrOmit('updated', updated), ...listOrOmit('notModified', notModified), ...listOrOmit('failed', [...failed.values()]) };
}

function failInto(failed: Map<string, { indexes: number[]; error: JsonObject }>, error: SimError, index: number): void {
  const code = String(error.code);
  let group = failed.get(code);
  if (group === undefined) failed.set(code, (group = { indexes: [], error: error.toBody() }));
  group.indexes.push(index);
}

/**
 * The `instances` part of a batch find: one instance by serviceId + instanceId each, as
 * server/service/disco/instance.go batchFindInstances answers it (an unknown instance is
 * failed with 400017, an unknown service with 400012).
 */
function batchFindInstances(store: RegistryStore, tenant: string, list: readonly unknown[]): JsonObject {
  const updated: JsonObject[] = [];
  const notModified: number[] = [];
  const failed = new Map<string, { indexes: number[]; error: JsonObject }>();
  list.forEach((entry, index) => {
    const instance = field(entry, 'instance');
    const serviceId = field(instance, 'serviceId');
    const instanceId = field(instance, 'instanceId');
    if (typeof serviceId !== 'string' || serviceId === '' || typeof instanceId !== 'string' || instanceId === '') {
      throw new SimError(Codes.invalidParams, `instances[${index}].instance needs serviceId and instanceId`);
    }
    const rev = field(entry, 'rev');
    try {
      const found = store.getInstance(tenant, serviceId, instanceId);
      const own = createHash('sha1').update(JSON.stringify(found)).digest('hex');
      if (typeof rev === 'string' && rev !== '' && rev === own) notModified.push(index);
      else updated.push({ index, rev: own, instances: [found] });
    } catch (error) {
      if (!(error instanceof SimError)) throw error;
      failInto(failed, error, index);
    }
  });
  return findPart(updated, notModified, failed);
}

export function batchFind(store: RegistryStore, tenant: string, consumerId: string | undefined, body: unknown): JsonObject {
  const keys = field(body, 'services');
  if (keys !== undefined && !Array.isArray(keys)) throw new SimError(Codes.invalidParams, 'services must be a list');
  const byInstance = field(body, 'instances');
  if (byInstance !== undefined && !Array.isArray(byInstance)) throw new SimError(Codes.invalidParams, 'instances must be a list');
  const list = (keys ?? []) as unknown[];
  const instanceList = (byInstance ?? []) as unknown[];
  if (list.length === 0 && instanceList.length === 0) throw new SimError(Codes.invalidParams, 'services or instances is required');
  const updated: JsonObject[] = [];
  const notModified: number[] = [];
  const failed = new Map<string, { indexes: number[]; error: JsonObject }>();
  list.forEach((entry, index) => {
    const service = field(entry, 'service');
    const serviceName = field(service, 'serviceName');
    if (typeof serviceName !== 'string' || serviceName === '') throw new SimError(Codes.invalidParams, `services[${index}].service.serviceName is required`);
    const appId = field(service, 'appId');
    const environment = field(service, 'environment');
    const rev = field(entry, 'rev');
    try {
      const found = store.find(tenant, consumerId, {
        appId: typeof appId === 'string' ? appId : '',
        serviceName,
        environment: typeof environment === 'string' ? environment : '',
      });
      if (typeof rev === 'string' && rev !== '' && rev === found.rev) notModified.push(index);
      else updated.push({ index, rev: found.rev, ...listOrOmit('instances', found.instances) });
    } catch (error) {
      if (!(error instanceof SimError)) throw error;
      failInto(failed, error, index);
    }
  });
  return {
    ...(list.length === 0 ? {} : { services: findPart(updated, notModified, failed) }),
    ...(instanceList.length === 0 ? {} : { instances: batchFindInstances(store, tenant, instanceList) }),
  };
}
