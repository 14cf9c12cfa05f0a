// A push of one service alone, against the registry simulator over HTTP: `shop/Orders` and
// `shop/orders` share a host, and pushed one at a time, as the watcher sends them, the
// cluster ends as the full render has it (the lower-case one holds the host, the other is
// reported skipped). The rival is asked for in the same batch find, never by a listing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { RegistryClient } from '../../lib/servicecenter/index.ts';
import { createRegistrySource, type RegistrySourceClient } from '../../lib/runtime/registry-source.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';
import type { ServiceEntry } from '../../lib/model/istio.ts';
import { SERVICE_KEY_ANNOTATION } from '../../lib/model/ownership.ts';
import type { RegistrySource } from '../../lib/pipeline/contracts.ts';
import { pushServices } from '../../lib/pipeline/push.ts';
import { syncOnce } from '../../lib/pipeline/sync.ts';
import { memoryPipeline, type MemoryPipeline } from '../support/memory-cluster.ts';

const UPPER = serviceKeyOf({ environment: '', appId: 'shop', serviceName: 'Orders' });
const LOWER = serviceKeyOf({ environment: '', appId: 'shop', serviceName: 'orders' });
const HOST = 'orders.shop.servicecomb.internal';

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

/** The client, counting the calls the registry source makes. */
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

function claimants(p: MemoryPipeline): string[] {
  return p.cluster
    .keys('ServiceEntry')
    .map((k) => p.cluster.get(k) as ServiceEntry)
    .filter((se) => se.spec.hosts.includes(HOST))
    .map((se) => se.metadata.annotations[SERVICE_KEY_ANNOTATION] ?? '');
}

let p: MemoryPipeline;
let deps: Omit<MemoryPipeline, 'registry'> & { registry: RegistrySource };
let calls: Record<string, number>;
beforeEach(async () => {
  await sim.restart({ clearState: true });
  const c = counted();
  calls = c.calls;
  p = memoryPipeline();
  deps = { ...p, registry: createRegistrySource(c.source, { consumerServiceName: 'sc2mesh-watcher' }) };
});

function register(serviceName: string, address: string): void {
  const id = sim.registerService({ appId: 'shop', serviceName, version: '1.0.0' });
  sim.registerInstance(id, { hostName: serviceName, endpoints: [`rest://${address}:8080`] }, { keepAlive: true });
}

describe('a lone push of a service whose host a lower-case namesake holds (registry over HTTP)', () => {
  it('skips it with the render reason, its rival read in the same find, and publishes the rival when that is pushed', async () => {
    register('Orders', '10.0.0.1');
    register('orders', '10.0.0.2');

    const loser = await pushServices([UPPER], deps, 'p-upper');
    expect(loser.results).toEqual([expect.objectContaining({ serviceKey: UPPER, outcome: 'skipped', reason: `host ${HOST} is already taken by shop/orders` })]);
    expect(p.cluster.keys()).toEqual([]);
    // The rival rides in the push's own find: no listing, no dump.
    expect(calls).toEqual({ serviceExists: 1, registerService: 1, findInstances: 1 });

    const winner = await pushServices([LOWER], deps, 'p-lower');
    expect(winner.results[0]).toMatchObject({ serviceKey: LOWER, outcome: 'pushed' });
    expect(claimants(p)).toEqual([LOWER]);
    expect(calls).toEqual({ serviceExists: 1, registerService: 1, findInstances: 2 });

    // And the sync, reading the whole registry, agrees: nothing to push, the same skip.
    const sync = await syncOnce(deps, 's');
    expect(sync.dirty).toEqual([]);
    expect(sync.skipped).toEqual([{ serviceKey: UPPER, reason: `host ${HOST} is already taken by shop/orders` }]);
  });

  it('publishes it when no lower-case namesake is registered, at the cost of one key more in its find', async () => {
    register('Orders', '10.0.0.1');
    const report = await pushServices([UPPER], deps, 'p');
    expect(report.results[0]).toMatchObject({ serviceKey: UPPER, outcome: 'pushed' });
    expect(claimants(p)).toEqual([UPPER]);
    expect(calls).toEqual({ serviceExists: 1, registerService: 1, findInstances: 1 });
  });
});
