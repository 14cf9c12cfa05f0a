// The push's registry read against the simulator over HTTP: one batch find per app with a
// consumer of that app, every version in one answer, gone told apart from unreadable.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { RegistryClient } from '../../lib/servicecenter/index.ts';
import { createRegistrySource, type RegistrySourceClient } from '../../lib/runtime/registry-source.ts';
import { RegistryReadError } from '../../lib/pipeline/contracts.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';

let sim: RegistrySimulator;
let client: RegistryClient;

beforeAll(async () => {
  sim = await startRegistrySimulator({ dependencyDelayMs: 0 });
  client = new RegistryClient({ addresses: [sim.baseUrl], timeoutMs: 2_000 });
});
afterAll(async () => {
  client.close();
  await sim.close();
});

/** The client, counting the calls the source makes. */
function counted(): { source: RegistrySourceClient; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const count = <T>(name: string, f: () => Promise<T>): Promise<T> => {
    calls[name] = (calls[name] ?? 0) + 1;
    return f();
  };
  return {
    calls,
    source: {
      governDump: () => count('governDump', () => client.governDump()),
      listServices: () => count('listServices', () => client.listServices()),
      getService: (id) => count('getService', () => client.getService(id)),
      serviceExists: (key) => count('serviceExists', () => client.serviceExists(key)),
      registerService: (s) => count('registerService', () => client.registerService(s)),
      findInstances: (consumer, keys) => count('findInstances', () => client.findInstances(consumer, keys)),
    },
  };
}

const key = (appId: string, serviceName: string): string => serviceKeyOf({ environment: '', appId, serviceName });

describe('registry source: a push reads only what it pushes', () => {
  it('reads every version of several services of one app in one batch find, never the dump', async () => {
    const v1 = sim.registerService({ appId: 'shop', serviceName: 'orders', version: '1.0.0' });
    const v2 = sim.registerService({ appId: 'shop', serviceName: 'orders', version: '1.1.0' });
    sim.registerService({ appId: 'shop', serviceName: 'orders', version: '2.0.0' }); // no instance
    const pay = sim.registerService({ appId: 'shop', serviceName: 'payments', version: '1.0.0' });
    sim.registerInstance(v1, { hostName: 'a', endpoints: ['rest://10.0.0.1:8080'] }, { keepAlive: true });
    sim.registerInstance(v2, { hostName: 'b', endpoints: ['rest://10.0.0.2:8080'] }, { keepAlive: true });
    sim.registerInstance(pay, { hostName: 'c', endpoints: ['rest://10.0.0.3:8080'] }, { keepAlive: true });
    for (let i = 0; i < 50; i++) sim.registerService({ appId: 'other', serviceName: `bg-${i}`, version: '1.0.0' });

    const { source, calls } = counted();
    const registry = createRegistrySource(source, { consumerServiceName: 'sc2mesh-watcher' });
    const read = await registry.readServices([key('shop', 'orders'), key('shop', 'payments')]);
    expect(calls).toEqual({ serviceExists: 1, registerService: 1, findInstances: 1 });
    const orders = read.services.get(key('shop', 'orders')) ?? [];
    expect(orders.map((d) => [d.microService.serviceId, d.microService.version, d.instances?.length]).sort()).toEqual(
      [
        [v1, '1.0.0', 1],
        [v2, '1.1.0', 1],
      ].sort(),
    );
    expect(read.services.get(key('shop', 'payments'))?.[0]?.microService).toMatchObject({ appId: 'shop', serviceName: 'payments', version: '1.0.0' });

    // The consumer is known from now on: one request per read.
    const again = counted();
    const second = createRegistrySource(again.source, { consumerServiceName: 'sc2mesh-watcher' });
    await second.readServices([key('shop', 'orders')]);
    await second.readServices([key('shop', 'orders')]);
    expect(again.calls).toEqual({ serviceExists: 1, findInstances: 2 });
  });

  it('tells a service that is gone from one that could not be read', async () => {
    const registry = createRegistrySource(client, { consumerServiceName: 'sc2mesh-watcher' });
    const read = await registry.readServices([key('shop', 'never-registered'), key('shop', 'orders')]);
    expect([...read.missing]).toEqual([key('shop', 'never-registered')]);
    expect(read.services.has(key('shop', 'orders'))).toBe(true);
    expect(read.unreadable.size).toBe(0);

    const impatient = new RegistryClient({ addresses: [sim.baseUrl], timeoutMs: 2_000, retry: { maxAttempts: 1 } });
    try {
      sim.inject({ failNext: 1, failStatus: 503 });
      const down = createRegistrySource(impatient, { consumerServiceName: 'sc2mesh-watcher' });
      await expect(down.readServices([key('shop', 'orders')])).rejects.toBeInstanceOf(RegistryReadError);
    } finally {
      sim.clearFaults();
      impatient.close();
    }
  });

  it('after a registry restart that lost its consumer, registers it again instead of taking every service for gone', async () => {
    const registry = createRegistrySource(client, { consumerServiceName: 'sc2mesh-watcher' });
    await registry.readServices([key('shop', 'orders')]);
    await sim.restart({ clearState: true });
    const id = sim.registerService({ appId: 'shop', serviceName: 'orders', version: '1.0.0' });
    sim.registerInstance(id, { hostName: 'a', endpoints: ['rest://10.0.0.9:8080'] }, { keepAlive: true });
    const read = await registry.readServices([key('shop', 'orders')]);
    expect(read.missing.size).toBe(0);
    expect(read.services.get(key('shop', 'orders'))?.[0]?.instances?.[0]?.endpoints).toEqual(['rest://10.0.0.9:8080']);
  });

  it('lists service keys without instances for the wipe check', async () => {
    const registry = createRegistrySource(client, { consumerServiceName: 'sc2mesh-watcher' });
    const keys = await registry.listServiceKeys();
    expect(keys.has(key('shop', 'orders'))).toBe(true);
  });
});
