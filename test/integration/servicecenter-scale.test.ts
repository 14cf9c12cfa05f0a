// A 10,000-service registry: listed and dumped correctly in one call each, and watched.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { RegistryClient, WatchClient } from '../../lib/servicecenter/index.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';

const SERVICES = 10_000;
const APPS = 40;

let sim: RegistrySimulator;
let client: RegistryClient;
const expected = new Map<string, string[]>();

beforeAll(async () => {
  sim = await startRegistrySimulator({ dependencyDelayMs: 0 });
  const details = [];
  for (let i = 0; i < SERVICES; i++) {
    const serviceId = i.toString(16).padStart(40, '0');
    const instances = Array.from({ length: i % 3 }, (_, k) => ({
      instanceId: `${serviceId.slice(-8)}-${k}`,
      hostName: `host-${i}-${k}`,
      endpoints: [`rest://10.${(i >> 8) & 255}.${i & 255}.${k + 1}:8080`],
      properties: { n: String(i) },
    }));
    expected.set(serviceId, instances.map((x) => x.instanceId).sort());
    details.push({ microService: { serviceId, appId: `app-${i % APPS}`, serviceName: `svc-${Math.floor(i / 2)}`, version: `1.0.${i % 2}`, schemas: ['s'] }, instances });
  }
  expect(sim.seed({ allServicesDetail: details })).toEqual({ services: SERVICES, instances: [...expected.values()].reduce((n, l) => n + l.length, 0), rules: 0 });
  client = new RegistryClient({ addresses: [sim.baseUrl] });
});

afterAll(async () => {
  client.close();
  await sim.close();
});

describe('a 10,000-service registry', () => {
  it('comes back whole from the govern dump', async () => {
    const before = sim.stats().requests;
    const dump = await client.governDump();
    expect(sim.stats().requests - before).toBe(1);
    expect(dump).toHaveLength(SERVICES);
    const got = new Map(dump.map((d) => [d.microService.serviceId, (d.instances ?? []).map((i) => i.instanceId).sort()]));
    expect(got).toEqual(expected);
    const sample = dump.find((d) => d.microService.serviceId === (7).toString(16).padStart(40, '0'));
    expect(sample?.microService).toMatchObject({ appId: 'app-7', serviceName: 'svc-3', version: '1.0.1' });
    expect(sample?.microService).not.toHaveProperty('schemas');
    expect(sample?.instances?.[0]).not.toHaveProperty('properties');
  });

  it('lists every service', async () => {
    const services = await client.listServices();
    expect(new Set(services.map((s) => s.serviceId))).toEqual(new Set(expected.keys()));
  });

  it('is watched with one consumer per app, holding a fingerprint per instance that the rev check finds equal to the registry', async () => {
    const watch = new WatchClient({ registry: client, listIntervalMs: 60_000 });
    const added = new Set<string>();
    const resyncs: string[] = [];
    watch.onAny((e) => {
      if (e.type === 'service-added') added.add(e.serviceId);
      if (e.type === 'resync-needed') resyncs.push(`${e.appId}:${e.reason}`);
    });
    try {
      await watch.start();
      expect(watch.consumers()).toHaveLength(APPS);
      expect(watch.consumers().every((c) => c.connected)).toBe(true);
      expect(added).toEqual(new Set(expected.keys()));
      expect(watch.held()).toEqual({ services: SERVICES, instances: [...expected.values()].reduce((n, l) => n + l.length, 0) });
      // a listing whose finds send the last revs: nothing changed, so no app reports a gap
      await watch.refresh();
      expect(resyncs).toEqual([]);
    } finally {
      await watch.stop();
    }
  });
});
