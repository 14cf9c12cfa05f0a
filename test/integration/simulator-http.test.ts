// The simulator's REST API against the reference (../shared/reference/servicecomb/README.md),
// spoken to with plain fetch so the client under test cannot hide a wire mistake.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { eventually } from '../../lib/registry-simulator/eventually.ts';

let sim: RegistrySimulator;

interface Answer {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

async function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const init: RequestInit = { method, headers };
  if (options.body !== undefined) init.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const res = await fetch(sim.baseUrl + path, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, headers: res.headers };
}

const R = '/v4/default/registry';

async function registerService(service: Record<string, unknown>, headers?: Record<string, string>): Promise<string> {
  const a = await call('POST', `${R}/microservices`, { body: { service }, headers });
  expect(a.status).toBe(200);
  return (a.body as { serviceId: string }).serviceId;
}

async function registerInstance(serviceId: string, instance: Record<string, unknown>): Promise<string> {
  const a = await call('POST', `${R}/microservices/${serviceId}/instances`, { body: { instance } });
  expect(a.status).toBe(200);
  return (a.body as { instanceId: string }).instanceId;
}

beforeAll(async () => {
  sim = await startRegistrySimulator({ dependencyDelayMs: 0 });
});

afterAll(async () => {
  await sim.close();
});

describe('registry simulator: scoping and services', () => {
  it('hides its own SERVICECENTER entry unless withShared=true, and answers an empty list with {}', async () => {
    const plain = await call('GET', `${R}/microservices`, { headers: { 'X-Domain-Name': 'empty-domain' } });
    expect(plain.status).toBe(200);
    expect(plain.body).toEqual({});
    const shared = await call('GET', `${R}/microservices?withShared=true`);
    const names = (shared.body as { services: { serviceName: string }[] }).services.map((s) => s.serviceName);
    expect(names).toContain('SERVICECENTER');
    const normal = await call('GET', `${R}/microservices`);
    expect(JSON.stringify(normal.body ?? {})).not.toContain('SERVICECENTER');
    const dump = await call('GET', '/v4/default/govern/microservices?options=instances');
    expect(JSON.stringify(dump.body ?? {})).not.toContain('SERVICECENTER');
  });

  it('scopes by X-Domain-Name and by project', async () => {
    const id = await registerService({ appId: 'scoped', serviceName: 'svc', version: '1.0.0' }, { 'X-Domain-Name': 'tenant-a' });
    expect((await call('GET', `${R}/microservices`, { headers: { 'X-Domain-Name': 'tenant-b' } })).body).toEqual({});
    expect((await call('GET', '/v4/other-project/registry/microservices', { headers: { 'X-Domain-Name': 'tenant-a' } })).body).toEqual({});
    const own = await call('GET', `${R}/microservices`, { headers: { 'X-Domain-Name': 'tenant-a' } });
    expect((own.body as { services: { serviceId: string }[] }).services.map((s) => s.serviceId)).toEqual([id]);
    const get = await call('GET', `${R}/microservices/${id}`, { headers: { 'X-Domain-Name': 'tenant-b' } });
    expect(get.status).toBe(400);
    expect(get.body).toMatchObject({ errorCode: '400012' });
  });

  it('answers the same serviceId for the same key, 400010 for an explicit id reused for another key', async () => {
    const a = await registerService({ appId: 'dup', serviceName: 'orders', version: '1.0.0' });
    const b = await registerService({ appId: 'dup', serviceName: 'orders', version: '1.0.0' });
    expect(b).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{40}$/);
    const clash = await call('POST', `${R}/microservices`, { body: { service: { serviceId: a, appId: 'dup', serviceName: 'other', version: '1.0.0' } } });
    expect(clash.status).toBe(400);
    expect(clash.body).toMatchObject({ errorCode: '400010' });
    expect(typeof (clash.body as { errorCode: unknown }).errorCode).toBe('string');
    const got = await call('GET', `${R}/microservices/${a}`);
    expect(got.body).toMatchObject({ service: { serviceId: a, appId: 'dup', serviceName: 'orders', version: '1.0.0', level: 'BACK', status: 'UP' } });
  });

  it('refuses a registration without serviceName or without the service wrapper (400001)', async () => {
    for (const body of [{ service: { appId: 'x', version: '1.0.0' } }, { serviceName: 'x', appId: 'x', version: '1.0.0' }, '{not json']) {
      const a = await call('POST', `${R}/microservices`, { body });
      expect(a.status).toBe(400);
      expect(a.body).toMatchObject({ errorCode: '400001' });
    }
  });

  it('answers existence by exact key, env included', async () => {
    const id = await registerService({ appId: 'ex', serviceName: 'pay', version: '2.0.0', environment: 'production' });
    const q = (version: string, env: string): Promise<Answer> => call('GET', `${R}/existence?type=microservice&appId=ex&serviceName=pay&version=${version}&env=${env}`);
    expect((await q('2.0.0', 'production')).body).toEqual({ serviceId: id });
    expect((await q('2.0.0', '')).body).toMatchObject({ errorCode: '400012' });
    expect((await q('9.9.9', 'production')).body).toMatchObject({ errorCode: '400026' });
    expect((await call('GET', `${R}/existence?appId=ex&serviceName=pay&version=2.0.0`)).body).toMatchObject({ errorCode: '400001' });
    // an empty appId is an invalid parameter, not a service that does not exist
    const noApp = await call('GET', `${R}/existence?type=microservice&appId=&serviceName=pay&version=2.0.0&env=production`);
    expect([noApp.status, noApp.body]).toEqual([400, expect.objectContaining({ errorCode: '400001' })]);
  });

  it("replaces a service's properties with PUT .../properties", async () => {
    const id = await registerService({ appId: 'props', serviceName: 'svc', version: '1.0.0', properties: { a: '1', b: '2' } });
    const put = await call('PUT', `${R}/microservices/${id}/properties`, { body: { properties: { c: '3' } } });
    expect(put.status).toBe(200);
    expect(((await call('GET', `${R}/microservices/${id}`)).body as { service: { properties: unknown } }).service.properties).toEqual({ c: '3' });
    expect((await call('PUT', `${R}/microservices/nope/properties`, { body: { properties: {} } })).body).toMatchObject({ errorCode: '400012' });
  });

  it('deletes a service with instances only with force (400013 otherwise)', async () => {
    const id = await registerService({ appId: 'del', serviceName: 'gone', version: '1.0.0' });
    await registerInstance(id, { hostName: 'h1', endpoints: ['rest://10.0.0.1:8080'] });
    const refused = await call('DELETE', `${R}/microservices/${id}`);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ errorCode: '400013' });
    const forced = await call('DELETE', `${R}/microservices/${id}?force=true`);
    expect(forced.status).toBe(200);
    expect(forced.text).toBe('');
    expect((await call('DELETE', `${R}/microservices/${id}`)).body).toMatchObject({ errorCode: '400012' });
  });

  it('answers 404 for an unknown route and 405 for a known path with the wrong method', async () => {
    expect((await call('GET', '/v4/default/nothing/here')).status).toBe(404);
    expect((await call('PATCH', `${R}/microservices`)).status).toBe(405);
  });
});

describe('registry simulator: instances', () => {
  let serviceId: string;
  beforeAll(async () => {
    serviceId = await registerService({ appId: 'inst', serviceName: 'catalog', version: '1.0.0', schemas: ['a'] });
  });

  it('registers, lists with X-Resource-Revision, and answers 304 for an unchanged rev', async () => {
    const empty = await call('GET', `${R}/microservices/${serviceId}/instances`);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({});
    const id = await registerInstance(serviceId, { hostName: 'c1', endpoints: ['rest://10.0.0.5:8080'], properties: { zone: 'a' } });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const listed = await call('GET', `${R}/microservices/${serviceId}/instances`);
    const rev = listed.headers.get('x-resource-revision');
    expect(rev).toBeTruthy();
    expect(listed.body).toMatchObject({
      instances: [{ instanceId: id, serviceId, version: '1.0.0', hostName: 'c1', status: 'UP', healthCheck: { mode: 'push', interval: 30, times: 3 } }],
    });
    const same = await call('GET', `${R}/microservices/${serviceId}/instances?rev=${rev}`);
    expect(same.status).toBe(304);
    await call('PUT', `${R}/microservices/${serviceId}/instances/${id}/status?value=DOWN`);
    const changed = await call('GET', `${R}/microservices/${serviceId}/instances?rev=${rev}`);
    expect(changed.status).toBe(200);
    expect(changed.headers.get('x-resource-revision')).not.toBe(rev);
    // a DOWN instance stays listed, with status DOWN
    expect(changed.body).toMatchObject({ instances: [{ instanceId: id, status: 'DOWN' }] });
  });

  it('returns the same id when an existing instanceId is sent again (no duplicate)', async () => {
    const id = await registerInstance(serviceId, { hostName: 'c2' });
    const again = await registerInstance(serviceId, { instanceId: id, hostName: 'c2' });
    expect(again).toBe(id);
    const listed = (await call('GET', `${R}/microservices/${serviceId}/instances`)).body as { instances: { instanceId: string; endpoints?: unknown }[] };
    expect(listed.instances.filter((i) => i.instanceId === id)).toHaveLength(1);
    // registered with no endpoints at all: the list is left out
    expect(listed.instances.find((i) => i.instanceId === id)).not.toHaveProperty('endpoints');
  });

  it('maps every instance error to its code', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', `${R}/microservices/${serviceId}/instances`, { instance: { endpoints: ['rest://1.1.1.1:1'] } }, '400001'],
      ['POST', `${R}/microservices/nope/instances`, { instance: { hostName: 'x' } }, '400012'],
      ['PUT', `${R}/microservices/${serviceId}/instances/nope/heartbeat`, undefined, '400017'],
      ['PUT', `${R}/microservices/${serviceId}/instances/nope/status?value=UP`, undefined, '400017'],
      ['DELETE', `${R}/microservices/${serviceId}/instances/nope`, undefined, '400017'],
    ];
    for (const [method, path, body, code] of cases) {
      const a = await call(method, path, body === undefined ? {} : { body });
      expect({ path, status: a.status, body: a.body }).toMatchObject({ status: Number(code) / 1000 | 0, body: { errorCode: code } });
    }
    const id = await registerInstance(serviceId, { hostName: 'c3' });
    expect((await call('PUT', `${R}/microservices/${serviceId}/instances/${id}/status?value=SLEEPY`)).body).toMatchObject({ errorCode: '400001' });
    expect((await call('PUT', `${R}/microservices/${serviceId}/instances/${id}/heartbeat`)).status).toBe(200);
    expect((await call('DELETE', `${R}/microservices/${serviceId}/instances/${id}`)).status).toBe(200);
    expect((await call('DELETE', `${R}/microservices/${serviceId}/instances/${id}`)).body).toMatchObject({ errorCode: '400017' });
  });

  it('drops instance properties and service schemas from the govern dump', async () => {
    const dump = (await call('GET', '/v4/default/govern/microservices?options=instances')).body as {
      allServicesDetail: { microService: Record<string, unknown>; instances?: Record<string, unknown>[] }[];
    };
    const entry = dump.allServicesDetail.find((d) => d.microService['serviceId'] === serviceId);
    expect(entry).toBeDefined();
    expect(entry?.microService).not.toHaveProperty('schemas');
    expect(entry?.instances?.length).toBeGreaterThan(0);
    for (const i of entry?.instances ?? []) expect(i).not.toHaveProperty('properties');
    const withSchemas = (await call('GET', `${R}/microservices/${serviceId}`)).body as { service: { schemas?: string[] } };
    expect(withSchemas.service.schemas).toEqual(['a']);
  });
});

describe('registry simulator: discovery', () => {
  let consumer: string;
  let v1: string;
  let v2: string;
  beforeAll(async () => {
    consumer = await registerService({ appId: 'shop', serviceName: 'frontend', version: '1.0.0' });
    v1 = await registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    v2 = await registerService({ appId: 'shop', serviceName: 'cart', version: '2.0.0' });
    await registerInstance(v1, { hostName: 'cart-a', endpoints: ['rest://10.0.1.1:8080'] });
    await registerInstance(v2, { hostName: 'cart-b', endpoints: ['rest://10.0.1.2:8080'] });
    await registerService({ appId: 'other', serviceName: 'secret', version: '1.0.0' });
  });

  const find = (services: unknown[], consumerId = consumer, query = '?type=query'): Promise<Answer> =>
    call('POST', `${R}/instances/action${query}`, { body: { services }, headers: { 'X-ConsumerId': consumerId } });

  it('returns every version of a name whatever version is asked, and notModified for the same rev', async () => {
    const first = await find([{ service: { appId: 'shop', serviceName: 'cart', version: '1.0.0' }, rev: '' }]);
    const updated = (first.body as { services: { updated: { index: number; rev: string; instances: { serviceId: string }[] }[] } }).services.updated;
    expect(updated).toHaveLength(1);
    expect(updated[0]?.index).toBe(0);
    expect(new Set(updated[0]?.instances.map((i) => i.serviceId))).toEqual(new Set([v1, v2]));
    const again = await find([
      { service: { appId: 'shop', serviceName: 'nothing-here', version: '1.0.0' }, rev: '' },
      { service: { appId: 'shop', serviceName: 'cart', version: '1.0.0' }, rev: updated[0]?.rev },
    ]);
    expect(again.body).toEqual({
      services: { notModified: [1], failed: [{ indexes: [0], error: { errorCode: '400012', errorMessage: expect.any(String) } }] },
    });
  });

  it('refuses a batch find without type=query (400001); a provider of another app is found with no instances', async () => {
    expect((await find([{ service: { appId: 'shop', serviceName: 'cart' } }], consumer, '')).body).toMatchObject({ errorCode: '400001' });
    // service-center's accessible filter empties the answer; it does not say "does not exist"
    const cross = await find([{ service: { appId: 'other', serviceName: 'secret', version: '1.0.0' }, rev: '' }]);
    expect(cross.body).toEqual({ services: { updated: [{ index: 0, rev: expect.any(String) }] } });
    const direct = await call('GET', `${R}/microservices/${v1}/instances`, { headers: { 'X-ConsumerId': (await registerService({ appId: 'other', serviceName: 'spy', version: '1.0.0' })) } });
    expect(direct.status).toBe(400);
    expect(direct.body).toMatchObject({ errorCode: '400012' });
  });

  it('finds a service by its alias', async () => {
    const id = await registerService({ appId: 'shop', serviceName: 'payments', version: '1.0.0', alias: 'shop:payments-v1' });
    await registerInstance(id, { hostName: 'pay-a', endpoints: ['rest://10.0.1.9:8080'] });
    const byAlias = await find([{ service: { appId: 'shop', serviceName: 'shop:payments-v1', version: '1.0.0' }, rev: '' }]);
    const updated = (byAlias.body as { services: { updated: { instances: { serviceId: string }[] }[] } }).services.updated;
    expect(updated[0]?.instances.map((i) => i.serviceId)).toEqual([id]);
  });

  it("answers the batch find's instances part by serviceId and instanceId: 400017 for an unknown instance", async () => {
    const known = ((await call('GET', `${R}/microservices/${v1}/instances`)).body as { instances: { instanceId: string }[] }).instances[0]?.instanceId as string;
    const a = await call('POST', `${R}/instances/action?type=query`, {
      body: { instances: [{ instance: { serviceId: v1, instanceId: known } }, { instance: { serviceId: v1, instanceId: 'no-such-instance' } }] },
      headers: { 'X-ConsumerId': consumer },
    });
    expect(a.status).toBe(200);
    const part = (a.body as { instances: { updated: { index: number; rev: string; instances: { instanceId: string }[] }[]; failed: { indexes: number[]; error: { errorCode: string } }[] } }).instances;
    expect(part.updated.map((u) => [u.index, u.instances.map((i) => i.instanceId)])).toEqual([[0, [known]]]);
    expect(part.failed).toEqual([{ indexes: [1], error: { errorCode: '400017', errorMessage: expect.any(String) } }]);
    expect(a.body).not.toHaveProperty('services');
    const again = await call('POST', `${R}/instances/action?type=query`, { body: { instances: [{ instance: { serviceId: v1, instanceId: known }, rev: part.updated[0]?.rev }] }, headers: { 'X-ConsumerId': consumer } });
    expect(again.body).toEqual({ instances: { notModified: [0] } });
  });

  it('records the dependency of a find by (app, name)', async () => {
    await find([{ service: { appId: 'shop', serviceName: 'cart', version: '9.9.9' }, rev: '' }]);
    await eventually(() => sim.dependencies(consumer), (d) => d.includes('/shop/cart'), 2_000, 'dependency');
    // a plain GET of one service's instances records nothing
    const lonely = await registerService({ appId: 'shop', serviceName: 'lonely', version: '1.0.0' });
    await call('GET', `${R}/microservices/${lonely}/instances`, { headers: { 'X-ConsumerId': consumer } });
    expect(sim.dependencies(consumer)).not.toContain('/shop/lonely');
  });

  it('answers the single find with X-Resource-Revision and 304', async () => {
    const a = await call('GET', `${R}/instances?appId=shop&serviceName=cart&version=1.0.0`, { headers: { 'X-ConsumerId': consumer } });
    expect((a.body as { instances: unknown[] }).instances).toHaveLength(2);
    const rev = a.headers.get('x-resource-revision') ?? '';
    expect((await call('GET', `${R}/instances?appId=shop&serviceName=cart&rev=${rev}`, { headers: { 'X-ConsumerId': consumer } })).status).toBe(304);
  });
});

describe('registry simulator: token auth', () => {
  let secured: RegistrySimulator;
  beforeAll(async () => {
    secured = await startRegistrySimulator({ auth: { users: { root: 's3cret' } } });
  });
  afterAll(async () => {
    await secured.close();
  });

  it('wants a bearer token from POST /v4/token, and refuses it once expired', async () => {
    const list = (headers: Record<string, string> = {}): Promise<Response> => fetch(`${secured.baseUrl}${R}/microservices`, { headers });
    const denied = await list();
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ errorCode: '401002' });
    const bad = await fetch(`${secured.baseUrl}/v4/token`, { method: 'POST', body: JSON.stringify({ name: 'root', password: 'wrong' }) });
    expect(bad.status).toBe(401);
    const login = await fetch(`${secured.baseUrl}/v4/token`, { method: 'POST', body: JSON.stringify({ name: 'root', password: 's3cret' }) });
    const { token } = (await login.json()) as { token: string };
    expect((await list({ authorization: `Bearer ${token}` })).status).toBe(200);
    secured.expireTokens();
    expect((await list({ authorization: `Bearer ${token}` })).status).toBe(401);
  });
});

describe('registry simulator: faults', () => {
  it('fails the next requests with 5xx, adds latency, and resets connections', async () => {
    sim.inject({ failNext: 2 });
    const a = await call('GET', `${R}/microservices`);
    expect(a.status).toBe(500);
    expect(a.body).toEqual({ errorCode: '500011', errorMessage: expect.any(String) });
    expect((await call('GET', `${R}/microservices`)).status).toBe(500);
    expect((await call('GET', `${R}/microservices`)).status).toBe(200);
    sim.inject({ failNext: 1, failStatus: 503 });
    expect((await call('GET', `${R}/microservices`)).status).toBe(503);
    sim.inject({ resetNext: 1 });
    await expect(call('GET', `${R}/microservices`)).rejects.toThrow();
    sim.inject({ latencyMs: 150 });
    const started = performance.now();
    await call('GET', `${R}/microservices`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    sim.clearFaults();
  });
});
