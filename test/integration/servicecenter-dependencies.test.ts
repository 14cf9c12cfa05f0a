// RegistryClient.listDependencies / listProviders against the simulator over HTTP, through
// the client's usual request path (RBAC token, retries): records made by finds and by the
// explicit API show up, go with overrides and deletes, and a registry that cannot answer
// is a read error, never an empty graph. A stub server serves a malformed graph.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { RegistryClient, RegistryUnavailableError } from '../../lib/servicecenter/index.ts';

let sim: RegistrySimulator;
let client: RegistryClient;
let web: string;
let cart1: string;
let cart2: string;
let pay: string;

beforeEach(async () => {
  sim = await startRegistrySimulator({ dependencyDelayMs: 0, auth: { users: { reader: 'secret' } } });
  client = new RegistryClient({ addresses: [sim.baseUrl], credentials: { name: 'reader', password: 'secret' }, retry: { maxAttempts: 3, baseMs: 1, maxMs: 5 } });
  web = sim.registerService({ appId: 'shop', serviceName: 'web', version: '1.0.0', environment: 'production' });
  cart1 = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0', environment: 'production' });
  cart2 = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.1.0', environment: 'production' });
  pay = sim.registerService({ appId: 'shop', serviceName: 'pay', version: '2.0.0', environment: 'production' });
});

afterEach(async () => {
  client.close();
  await sim.close();
});

const putDependencies = (method: 'POST' | 'PUT', providers: { serviceName: string }[]): Promise<unknown> =>
  client.http.request({
    method,
    path: '/v4/default/registry/dependencies',
    body: { dependencies: [{ consumer: { appId: 'shop', serviceName: 'web', version: '1.0.0', environment: 'production' }, providers: providers.map((p) => ({ ...p, environment: 'production' })) }] },
    idempotent: true,
  });

describe('RegistryClient.listDependencies', () => {
  it('shows a provider once the consumer found it, every version, with appId and version (no environment: the graph has none)', async () => {
    expect((await client.listDependencies()).consumers.size).toBe(0);
    await client.findInstances(web, [{ appId: 'shop', serviceName: 'cart' }]);
    const graph = await client.listDependencies();
    expect(graph.rejected).toEqual([]);
    expect([...graph.consumers.keys()]).toEqual([web]);
    const record = graph.consumers.get(web);
    expect(record).toMatchObject({ serviceId: web, appId: 'shop', serviceName: 'web', version: '1.0.0' });
    expect(record).not.toHaveProperty('environment');
    expect(record?.providers.map((p) => `${p.serviceId} ${p.appId}/${p.serviceName}@${p.version}`).sort()).toEqual([`${cart1} shop/cart@1.0.0`, `${cart2} shop/cart@1.1.0`].sort());
    expect(graph.services.get(pay)).toEqual({ serviceId: pay, appId: 'shop', serviceName: 'pay', version: '2.0.0' });
    expect(sim.traffic()['GET /v4/{project}/govern/relations']?.requests).toBe(2);
  });

  it('loses a provider on an override and when the provider is deleted', async () => {
    await putDependencies('POST', [{ serviceName: 'cart' }, { serviceName: 'pay' }]);
    const names = async (): Promise<string[]> => ((await client.listDependencies()).consumers.get(web)?.providers ?? []).map((p) => p.serviceName).sort();
    expect(await names()).toEqual(['cart', 'cart', 'pay']);
    await putDependencies('PUT', [{ serviceName: 'pay' }]);
    expect(await names()).toEqual(['pay']);
    // a provider others depend on is deleted only with force (service-center's 400023)
    await expect(client.unregisterService(pay)).rejects.toMatchObject({ errorCode: '400023' });
    await client.unregisterService(pay, { force: true });
    expect((await client.listDependencies()).consumers.has(web)).toBe(false);
  });

  it('retries a 5xx like every read, and throws the read error when the registry keeps failing (unreadable is not empty)', async () => {
    await client.findInstances(web, [{ appId: 'shop', serviceName: 'pay' }]);
    sim.inject({ failNext: 1, failPath: '/govern/relations' });
    expect((await client.listDependencies()).consumers.get(web)?.providers.map((p) => p.serviceId)).toEqual([pay]);
    sim.inject({ failNext: 3, failPath: '/govern/relations' });
    await expect(client.listDependencies()).rejects.toBeInstanceOf(RegistryUnavailableError);
    sim.clearFaults();
  });
});

describe('RegistryClient.listProviders', () => {
  it('gives the providers as MicroServices (with their environment), without the consumer itself', async () => {
    await client.findInstances(web, [
      { appId: 'shop', serviceName: 'pay' },
      { appId: 'shop', serviceName: 'web' },
    ]);
    const result = await client.listProviders(web);
    expect(result.found).toBe(true);
    if (!result.found) return;
    expect(result.providers.map((p) => [p.serviceId, p.serviceName, p.environment])).toEqual([[pay, 'pay', 'production']]);
    expect(result.rejected).toEqual([]);
    const withSelf = await client.listProviders(web, { noSelf: false });
    expect(withSelf.found && withSelf.providers.map((p) => p.serviceId).sort()).toEqual([pay, web].sort());
  });

  it('tells an unknown consumer (typed result) from an unreadable registry (thrown)', async () => {
    expect(await client.listProviders('no-such-id')).toMatchObject({ found: false, consumerId: 'no-such-id', message: expect.stringContaining('400012') });
    expect(await client.listProviders(cart1)).toEqual({ found: true, consumerId: cart1, providers: [], rejected: [] });
    // another registry error is not "does not exist"
    await expect(client.listProviders('x'.repeat(65))).rejects.toMatchObject({ name: 'RegistryError', errorCode: '400001' });
    sim.inject({ failNext: 3, failPath: '/providers' });
    await expect(client.listProviders(web)).rejects.toBeInstanceOf(RegistryUnavailableError);
    sim.clearFaults();
  });
});

describe('RegistryClient.listDependencies against a registry answering a malformed graph', () => {
  let stub: http.Server;
  let base: string;
  const rejected: { service: string; reason: string }[] = [];

  beforeAll(async () => {
    const node = (id: string, name: string): Record<string, string> => ({ id, name, appId: 'shop', version: '1.0.0', type: '', color: '', position: '' });
    const body = JSON.stringify({
      nodes: [node('w', 'web'), node('c', 'cart'), node('p', 'pay')],
      lines: [
        { from: node('w', 'web'), to: { id: 'c', name: 'cart', appId: '', version: '' } },
        { from: { ...node('w', 'web'), version: '' }, to: { id: 'p', name: 'pay' } },
        { from: node('w', 'web'), to: { id: 'p', name: 'pay' } },
      ],
      circles: null,
    });
    stub = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => stub.close(() => resolve()));
  });

  it('keeps the good lines and reports the bad one with the field and value', async () => {
    const stubClient = new RegistryClient({ addresses: [base], onRejected: (r) => rejected.push(r) });
    try {
      const graph = await stubClient.listDependencies();
      expect(graph.consumers.get('w')?.providers.map((p) => p.serviceId)).toEqual(['c', 'p']);
      expect(graph.rejected).toEqual([{ where: 'lines[1]', reason: expect.stringMatching(/^lines\[1\]\.from\.version: .*\(got ""\)$/) }]);
      expect(rejected).toEqual([{ service: 'relations lines[1]', reason: graph.rejected[0]?.reason }]);
    } finally {
      stubClient.close();
    }
  });
});
