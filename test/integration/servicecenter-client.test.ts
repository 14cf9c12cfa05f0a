// RegistryClient against the simulator: every call, scoping, errors and validation.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient, RegistryError, ErrorCodes } from '../../lib/servicecenter/index.ts';
import { ValidationError } from '../../lib/model/validation.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { eventually } from '../../lib/registry-simulator/eventually.ts';

let sim: RegistrySimulator;
let client: RegistryClient;

beforeAll(async () => {
  sim = await startRegistrySimulator({ dependencyDelayMs: 0 });
  client = new RegistryClient({ addresses: [sim.baseUrl] });
});

afterAll(async () => {
  client.close();
  await sim.close();
});

describe('RegistryClient: services', () => {
  it('registers, finds by existence, lists, gets and unregisters a service', async () => {
    const key = { appId: 'crud', serviceName: 'orders', version: '1.0.0', environment: 'production' };
    expect(await client.serviceExists(key)).toBeUndefined();
    const id = await client.registerService({ ...key, properties: { team: 'a' } });
    expect(await client.registerService(key)).toBe(id);
    expect(await client.serviceExists(key)).toBe(id);
    expect(await client.serviceExists({ ...key, version: '2.0.0' })).toBeUndefined();
    expect(await client.serviceExists({ ...key, environment: '' })).toBeUndefined();
    const listed = await client.listServices();
    expect(listed.find((s) => s.serviceId === id)).toMatchObject({ ...key, properties: { team: 'a' }, status: 'UP' });
    expect(listed.some((s) => s.serviceName === 'SERVICECENTER')).toBe(false);
    expect((await client.listServices({ withShared: true })).some((s) => s.serviceName === 'SERVICECENTER')).toBe(true);
    expect(await client.getService(id)).toMatchObject({ serviceId: id, serviceName: 'orders' });
    await client.unregisterService(id);
    expect(await client.getService(id)).toBeUndefined();
  });

  it('surfaces registry errors with errorCode and errorMessage', async () => {
    const id = await client.registerService({ appId: 'err', serviceName: 'busy', version: '1.0.0' });
    await client.registerInstance(id, { hostName: 'h' });
    const error = await client.unregisterService(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ status: 400, errorCode: ErrorCodes.deployedInstance, errorMessage: expect.stringContaining('instance') });
    await client.unregisterService(id, { force: true });
    await expect(client.unregisterService(id)).rejects.toMatchObject({ errorCode: '400012' });
    await expect(client.registerService({ appId: 'err', serviceName: 'bad name!', version: '1.0.0' })).rejects.toMatchObject({ errorCode: '400001' });
  });

  it('keeps domains and projects apart', async () => {
    const a = new RegistryClient({ addresses: [sim.baseUrl], domain: 'team-a', project: 'p1' });
    const b = new RegistryClient({ addresses: [sim.baseUrl], domain: 'team-b', project: 'p1' });
    const a2 = new RegistryClient({ addresses: [sim.baseUrl], domain: 'team-a', project: 'p2' });
    try {
      const id = await a.registerService({ appId: 'x', serviceName: 'only-a', version: '1.0.0' });
      expect((await a.listServices()).map((s) => s.serviceId)).toEqual([id]);
      expect(await b.listServices()).toEqual([]);
      expect(await a2.listServices()).toEqual([]);
      expect(await b.governDump()).toEqual([]);
      expect(sim.listServices({ domain: 'team-a', project: 'p1' }).map((s) => s['serviceId'])).toEqual([id]);
    } finally {
      a.close();
      b.close();
      a2.close();
    }
  });
});

describe('RegistryClient: instances and discovery', () => {
  let consumer: string;
  let v1: string;
  let v2: string;
  beforeAll(async () => {
    consumer = await client.registerService({ appId: 'disc', serviceName: 'gateway', version: '1.0.0' });
    v1 = await client.registerService({ appId: 'disc', serviceName: 'stock', version: '1.0.0' });
    v2 = await client.registerService({ appId: 'disc', serviceName: 'stock', version: '2.0.0' });
  });

  it('registers instances, heartbeats, changes status and unregisters them', async () => {
    const id = await client.registerInstance(v1, { hostName: 'stock-1', endpoints: ['rest://10.1.0.1:8080'], healthCheck: { mode: 'push', interval: 30, times: 3 } });
    expect(await client.registerInstance(v1, { instanceId: id, hostName: 'stock-1' })).toBe(id);
    await client.heartbeat(v1, id);
    await client.setInstanceStatus(v1, id, 'DOWN');
    await client.setInstanceProperties(v1, id, { weight: '3' });
    const got = await client.getInstances(v1, consumer);
    expect(got).not.toBe('not-modified');
    if (got === 'not-modified') return;
    expect(got.instances).toEqual([expect.objectContaining({ instanceId: id, status: 'DOWN', properties: { weight: '3' }, endpoints: ['rest://10.1.0.1:8080'] })]);
    await client.unregisterInstance(v1, id);
    await expect(client.heartbeat(v1, id)).rejects.toMatchObject({ errorCode: ErrorCodes.instanceNotExists });
  });

  it('answers not-modified for an unchanged rev, and the new list after a change', async () => {
    await client.registerInstance(v2, { hostName: 'stock-2' });
    const first = await client.getInstances(v2, consumer);
    if (first === 'not-modified') throw new Error('expected instances');
    expect(first.rev).not.toBe('');
    expect(await client.getInstances(v2, consumer, first.rev)).toBe('not-modified');
    const added = await client.registerInstance(v2, { hostName: 'stock-3' });
    const next = await client.getInstances(v2, consumer, first.rev);
    if (next === 'not-modified') throw new Error('expected a change');
    expect(next.instances.map((i) => i.instanceId)).toContain(added);
    expect(next.rev).not.toBe(first.rev);
  });

  it('batch-finds every version of a name, with notModified and per-key failures', async () => {
    const keys = [
      { appId: 'disc', serviceName: 'stock', version: '1.0.0' },
      { appId: 'disc', serviceName: 'missing' },
    ];
    const first = await client.findInstances(consumer, keys);
    expect(first.updated).toHaveLength(1);
    expect(first.updated[0]?.index).toBe(0);
    expect(new Set(first.updated[0]?.instances.map((i) => i.serviceId))).toEqual(new Set([v2]));
    expect(first.failed).toEqual([{ indexes: [1], error: expect.objectContaining({ errorCode: '400012' }) }]);
    const again = await client.findInstances(consumer, [{ ...keys[0]!, rev: first.updated[0]?.rev }]);
    expect(again).toEqual({ updated: [], notModified: [0], failed: [] });
    await eventually(() => sim.dependencies(consumer), (d) => d.includes('/disc/stock'), 2_000, 'dependency recorded');
  });

  it('is checked against service-center answers the simulator once got wrong', async () => {
    // existence with an empty appId: an invalid parameter (400001), never "does not exist"
    await expect(client.serviceExists({ appId: '', serviceName: 'stock', version: '1.0.0' })).rejects.toMatchObject({ errorCode: '400001' });
    // a find by a consumer of another app: found, with no instances (not a failure, not missing)
    const outsider = await client.registerService({ appId: 'elsewhere', serviceName: 'outsider', version: '1.0.0' });
    const cross = await client.findInstances(outsider, [{ appId: 'disc', serviceName: 'stock' }]);
    expect(cross).toEqual({ updated: [{ index: 0, rev: expect.any(String), instances: [] }], notModified: [], failed: [] });
    // a find by alias
    const aliased = await client.registerService({ appId: 'disc', serviceName: 'ledger', version: '1.0.0', alias: 'disc:ledger-v1' });
    const ledger = await client.registerInstance(aliased, { hostName: 'ledger-1', endpoints: ['rest://10.3.0.1:8080'] });
    const byAlias = await client.findInstances(consumer, [{ appId: 'disc', serviceName: 'disc:ledger-v1' }]);
    expect(byAlias.updated[0]?.instances.map((i) => i.instanceId)).toEqual([ledger]);
    // service properties: replaced whole
    await client.setServiceProperties(aliased, { a: '1', b: '2' });
    await client.setServiceProperties(aliased, { c: '3' });
    expect((await client.getService(aliased))?.properties).toEqual({ c: '3' });
  });

  it('reads everything in one govern dump call', async () => {
    const dump = await client.governDump();
    const ids = dump.map((d) => d.microService.serviceId);
    expect(ids).toEqual(expect.arrayContaining([consumer, v1, v2]));
    const stock2 = dump.find((d) => d.microService.serviceId === v2);
    expect(stock2?.instances?.length).toBe(2);
    expect(dump.find((d) => d.microService.serviceId === v1)?.instances).toBeUndefined();
  });
});

describe('RegistryClient: response validation', () => {
  let server: http.Server;
  let url: string;
  let body = '';
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('names the bad field of a malformed answer', async () => {
    const c = new RegistryClient({ addresses: [url] });
    try {
      body = JSON.stringify({ instances: [{ instanceId: 'i1', status: 'SLEEPING' }] });
      const error = await c.getInstances('s', 'c').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toContain('getInstances.instances[0].status');
      expect((error as ValidationError).message).toContain('"SLEEPING"');
      body = JSON.stringify({ services: { updated: [{ index: 5, rev: 'r' }] } });
      await expect(c.findInstances('c', [{ appId: 'a', serviceName: 'b' }])).rejects.toThrow('index 5 out of range');
      body = 'not json';
      await expect(c.listServices()).rejects.toThrow('response is not JSON');
    } finally {
      c.close();
    }
  });

  it('skips a malformed service entry, reporting it, and keeps the others', async () => {
    const rejected: { service: string; reason: string }[] = [];
    const c = new RegistryClient({ addresses: [url], onRejected: (r) => rejected.push(r) });
    try {
      body = JSON.stringify({ services: [{ serviceId: 'ok', serviceName: 'fine', version: '1.0.0' }, { serviceId: 'bad', version: '1.0.0' }] });
      expect((await c.listServices()).map((s) => s.serviceId)).toEqual(['ok']);
      expect(rejected).toEqual([{ service: 'services[1]', reason: expect.stringContaining('services[1].serviceName') }]);
      body = JSON.stringify({ allServicesDetail: [{ microService: { serviceId: 'x', serviceName: 'y', version: '1' }, instances: [{ instanceId: '' }] }] });
      expect(await c.governDump()).toEqual([]);
      expect(rejected[1]?.reason).toContain('allServicesDetail[0].instances[0].instanceId');
    } finally {
      c.close();
    }
  });
});
