// The simulator's dependency records over HTTP, against service-center's behaviour
// (../shared/reference/istio/scoping.md §5; dependency_controller.go, graph.go, view.go):
// recorded by finds with X-ConsumerId and by the deprecated explicit API, read back as
// providers, consumers, the relations graph and the govern dump, removed with services.
// Plain fetch, so the client under test cannot hide a wire mistake.
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { eventually } from '../../lib/registry-simulator/eventually.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';

let sim: RegistrySimulator;
const others: RegistrySimulator[] = [];

interface Answer {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

async function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; on?: RegistrySimulator } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const init: RequestInit = { method, headers };
  if (options.body !== undefined) init.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const res = await fetch((options.on ?? sim).baseUrl + path, init);
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

const ids = (list: unknown): string[] => ((list ?? []) as { serviceId: string }[]).map((s) => s.serviceId).sort();
const providers = async (id: string, query = ''): Promise<string[]> => ids(((await call('GET', `${R}/microservices/${id}/providers${query}`)).body as { providers?: unknown }).providers);
const consumers = async (id: string): Promise<string[]> => ids(((await call('GET', `${R}/microservices/${id}/consumers`)).body as { consumers?: unknown }).consumers);

beforeEach(async () => {
  sim = await startRegistrySimulator({ dependencyDelayMs: 0 });
});

afterEach(async () => {
  await sim.close();
});

afterAll(async () => {
  for (const s of others) await s.close();
});

function shop(): { web: string; cart1: string; cart2: string; pay: string; other: string } {
  return {
    web: sim.registerService({ appId: 'shop', serviceName: 'web', version: '1.0.0' }),
    cart1: sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' }),
    cart2: sim.registerService({ appId: 'shop', serviceName: 'cart', version: '2.0.0' }),
    pay: sim.registerService({ appId: 'shop', serviceName: 'pay', version: '1.0.0' }),
    other: sim.registerService({ appId: 'bank', serviceName: 'ledger', version: '1.0.0' }),
  };
}

describe('implicit records: a find with X-ConsumerId', () => {
  it('records consumer → every version of the provider, by GET find and by batch find', async () => {
    const s = shop();
    expect(await providers(s.web)).toEqual([]);
    const found = await call('GET', `${R}/instances?appId=shop&serviceName=cart&version=1.0.0`, { headers: { 'X-ConsumerId': s.web } });
    expect(found.status).toBe(200);
    expect(await providers(s.web)).toEqual([s.cart1, s.cart2].sort());
    const batch = await call('POST', `${R}/instances/action?type=query`, {
      headers: { 'X-ConsumerId': s.web },
      body: { services: [{ service: { appId: 'shop', serviceName: 'pay', version: 'latest' } }] },
    });
    expect(batch.status).toBe(200);
    expect(await providers(s.web)).toEqual([s.cart1, s.cart2, s.pay].sort());
    expect(await consumers(s.cart2)).toEqual([s.web]);
    // a new version of a provider already found is depended on without another find
    const cart3 = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '3.0.0' });
    expect(await providers(s.web)).toContain(cart3);
  });

  it('records nothing without X-ConsumerId, for an unknown provider, across apps, or for the registry itself', async () => {
    const s = shop();
    await call('GET', `${R}/instances?appId=shop&serviceName=cart`);
    expect((await call('GET', `${R}/instances?appId=shop&serviceName=nope`, { headers: { 'X-ConsumerId': s.web } })).status).toBe(400);
    // another app's provider that is not global: found with no instances, not recorded
    expect((await call('GET', `${R}/instances?appId=bank&serviceName=ledger`, { headers: { 'X-ConsumerId': s.web } })).status).toBe(200);
    expect((await call('GET', `${R}/instances?appId=default&serviceName=SERVICECENTER`, { headers: { 'X-ConsumerId': s.web } })).status).toBe(200);
    expect(await providers(s.web)).toEqual([]);
    expect(sim.dependencies(s.web)).toEqual([]);
  });

  it('records asynchronously with the default delay, as service-center queues it', async () => {
    const slow = await startRegistrySimulator();
    others.push(slow);
    const web = slow.registerService({ appId: 'shop', serviceName: 'web', version: '1.0.0' });
    slow.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    await call('GET', `${R}/instances?appId=shop&serviceName=cart`, { headers: { 'X-ConsumerId': web }, on: slow });
    expect(slow.dependencies(web)).toEqual([]);
    await eventually(() => slow.dependencies(web), (d) => d.length === 1, 2_000, 'recorded after the delay');
    expect(slow.dependencies(web)).toEqual(['/shop/cart']);
  });
});

describe('explicit records: POST (add) and PUT (override) /registry/dependencies', () => {
  const consumer = { appId: 'shop', serviceName: 'web', version: '1.0.0' };

  it('adds, with the Deprecation header, any version rule meaning every version, appId defaulting to the consumer\'s', async () => {
    const s = shop();
    const added = await call('POST', `${R}/dependencies`, {
      body: { dependencies: [{ consumer, providers: [{ serviceName: 'cart', version: 'latest' }, { appId: 'shop', serviceName: 'pay', version: '1.0.0+' }] }] },
    });
    expect(added.status).toBe(200);
    expect(added.text).toBe('');
    expect(added.headers.get('deprecation')).toBe('version="v4"');
    expect(await providers(s.web)).toEqual([s.cart1, s.cart2, s.pay].sort());
    // POST adds to what is there
    await call('POST', `${R}/dependencies`, { body: { dependencies: [{ consumer, providers: [{ appId: 'bank', serviceName: 'ledger', version: '1.0.0' }] }] } });
    expect(await providers(s.web)).toEqual([s.cart1, s.cart2, s.pay, s.other].sort());
  });

  it('overrides with PUT, and PUT with no providers clears', async () => {
    const s = shop();
    await call('POST', `${R}/dependencies`, { body: { dependencies: [{ consumer, providers: [{ serviceName: 'cart' }, { serviceName: 'pay' }] }] } });
    const put = await call('PUT', `${R}/dependencies`, { body: { dependencies: [{ consumer, providers: [{ serviceName: 'pay', version: '' }] }] } });
    expect(put.status).toBe(200);
    expect(put.headers.get('deprecation')).toBe('version="v4"');
    expect(await providers(s.web)).toEqual([s.pay]);
    expect(await consumers(s.cart1)).toEqual([]);
    expect((await call('PUT', `${R}/dependencies`, { body: { dependencies: [{ consumer, providers: [] }] } })).status).toBe(200);
    expect(await providers(s.web)).toEqual([]);
  });

  it('keeps a rule for a provider that is not registered yet (POST), as service-center does', async () => {
    const s = shop();
    await call('POST', `${R}/dependencies`, { body: { dependencies: [{ consumer, providers: [{ serviceName: 'later' }] }] } });
    expect(await providers(s.web)).toEqual([]);
    const later = sim.registerService({ appId: 'shop', serviceName: 'later', version: '0.1.0' });
    expect(await providers(s.web)).toEqual([later]);
  });

  it('answers 400012 for an unknown consumer key and applies nothing of that request', async () => {
    const s = shop();
    const unknown = await call('POST', `${R}/dependencies`, {
      body: {
        dependencies: [
          { consumer, providers: [{ serviceName: 'cart' }] },
          { consumer: { ...consumer, version: '9.9.9' }, providers: [{ serviceName: 'pay' }] },
        ],
      },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ errorCode: '400012', errorMessage: 'Consumer /shop/web/9.9.9 does not exist.' });
    expect(unknown.headers.get('deprecation')).toBeNull();
    expect(await providers(s.web)).toEqual([]);
  });

  it.each([
    ['not JSON', '{"dependencies":', 'not valid JSON'],
    ['no body', undefined, 'must be a JSON object'],
    ['no dependencies', {}, 'dependencies must hold 1 to 100 entries (got 0)'],
    ['too many', { dependencies: Array.from({ length: 101 }, () => ({ consumer, providers: [{ serviceName: 'cart' }] })) }, '(got 101)'],
    ['no consumer', { dependencies: [{ providers: [{ serviceName: 'cart' }] }] }, 'dependencies[0].consumer is required'],
    ['a consumer without appId', { dependencies: [{ consumer: { serviceName: 'web', version: '1.0.0' }, providers: [{ serviceName: 'cart' }] }] }, 'dependencies[0].consumer.appId "" is invalid'],
    ['a consumer version range', { dependencies: [{ consumer: { ...consumer, version: '1.0.0+' }, providers: [{ serviceName: 'cart' }] }] }, 'dependencies[0].consumer.version "1.0.0+" is invalid'],
    ['a provider without serviceName', { dependencies: [{ consumer, providers: [{ appId: 'shop' }] }] }, 'dependencies[0].providers[0].serviceName "" is invalid'],
    ['a bad provider version', { dependencies: [{ consumer, providers: [{ serviceName: 'cart', version: 'newest' }] }] }, 'dependencies[0].providers[0].version "newest" is invalid'],
    ['a version part past 32767', { dependencies: [{ consumer, providers: [{ serviceName: 'cart', version: '40000' }] }] }, 'providers[0].version "40000"'],
    ['a provider listed twice', { dependencies: [{ consumer, providers: [{ serviceName: 'cart', version: '1.0.0' }, { appId: 'shop', serviceName: 'cart', version: '2.0.0' }] }] }, 'provider /shop/cart is listed twice'],
    ['a wrong type', { dependencies: [{ consumer: { ...consumer, appId: 5 }, providers: [{ serviceName: 'cart' }] }] }, 'dependencies[0].consumer.appId must be a string (got 5)'],
  ])('answers 400001 for %s', async (_what, body, message) => {
    const s = shop();
    const answer = await call('POST', `${R}/dependencies`, { body });
    expect(answer.status).toBe(400);
    const error = answer.body as { errorCode: string; errorMessage: string; detail?: string };
    expect(error.errorCode).toBe('400001');
    expect(`${error.errorMessage} ${error.detail ?? ''}`).toContain(message);
    expect(await providers(s.web)).toEqual([]);
  });

  it('refuses POST without providers, while PUT accepts it', async () => {
    shop();
    const post = await call('POST', `${R}/dependencies`, { body: { dependencies: [{ consumer, providers: [] }] } });
    expect(post.status).toBe(400);
    expect((post.body as { detail: string }).detail).toContain('dependencies[0].providers must hold at least one provider');
    expect((await call('PUT', `${R}/dependencies`, { body: { dependencies: [{ consumer }] } })).status).toBe(200);
  });
});

describe('reads: providers and consumers', () => {
  it('answers {"providers":[MicroService]} and {"consumers":[MicroService]}, {} when empty, 400012 for an unknown id', async () => {
    const s = shop();
    await call('GET', `${R}/instances?appId=shop&serviceName=pay`, { headers: { 'X-ConsumerId': s.web } });
    const answer = await call('GET', `${R}/microservices/${s.web}/providers`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ providers: [sim.listServices().find((x) => x['serviceId'] === s.pay)] });
    expect((answer.body as { providers: Record<string, unknown>[] }).providers[0]).toMatchObject({ serviceId: s.pay, appId: 'shop', serviceName: 'pay', version: '1.0.0' });
    expect((await call('GET', `${R}/microservices/${s.pay}/consumers`)).body).toEqual({ consumers: [sim.listServices().find((x) => x['serviceId'] === s.web)] });
    expect((await call('GET', `${R}/microservices/${s.pay}/providers`)).body).toEqual({});
    const unknownConsumer = await call('GET', `${R}/microservices/nope/providers`);
    expect(unknownConsumer.status).toBe(400);
    expect(unknownConsumer.body).toMatchObject({ errorCode: '400012', errorMessage: 'Consumer does not exist' });
    expect((await call('GET', `${R}/microservices/nope/consumers`)).body).toMatchObject({ errorCode: '400012', errorMessage: 'Provider does not exist' });
    expect((await call('GET', `${R}/microservices/${'x'.repeat(65)}/providers`)).body).toMatchObject({ errorCode: '400001' });
  });

  it('lists a self-dependency unless noSelf=1', async () => {
    const s = shop();
    await call('GET', `${R}/instances?appId=shop&serviceName=web`, { headers: { 'X-ConsumerId': s.web } });
    expect(await providers(s.web)).toEqual([s.web]);
    expect(await providers(s.web, '?noSelf=1')).toEqual([]);
  });

  it('is scoped by X-Domain-Name', async () => {
    const s = shop();
    await call('GET', `${R}/instances?appId=shop&serviceName=cart`, { headers: { 'X-ConsumerId': s.web } });
    expect((await call('GET', `${R}/microservices/${s.web}/providers`, { headers: { 'X-Domain-Name': 'other' } })).body).toMatchObject({ errorCode: '400012' });
  });
});

describe('deleting services', () => {
  it('a deleted consumer takes its records with it', async () => {
    const s = shop();
    await call('GET', `${R}/instances?appId=shop&serviceName=cart`, { headers: { 'X-ConsumerId': s.web } });
    expect(await consumers(s.cart1)).toEqual([s.web]);
    expect((await call('DELETE', `${R}/microservices/${s.web}`)).status).toBe(200);
    expect(await consumers(s.cart1)).toEqual([]);
    // the same key registered again is a new consumer without records
    const again = sim.registerService({ appId: 'shop', serviceName: 'web', version: '1.0.0' });
    expect(await providers(again)).toEqual([]);
  });

  it('refuses to delete a provider others depend on (400023) unless forced; the last version gone, the record goes', async () => {
    const s = shop();
    await call('GET', `${R}/instances?appId=shop&serviceName=cart`, { headers: { 'X-ConsumerId': s.web } });
    const refused = await call('DELETE', `${R}/microservices/${s.cart1}`);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ errorCode: '400023' });
    expect((await call('DELETE', `${R}/microservices/${s.cart1}?force=true`)).status).toBe(200);
    // the other version still carries the name's record
    expect(await providers(s.web)).toEqual([s.cart2]);
    expect((await call('DELETE', `${R}/microservices/${s.cart2}?force=true`)).status).toBe(200);
    expect(await providers(s.web)).toEqual([]);
    expect(sim.dependencies(s.web)).toEqual([]);
    // a cart registered later is not a provider of web until web finds it again
    sim.registerService({ appId: 'shop', serviceName: 'cart', version: '4.0.0' });
    expect(await providers(s.web)).toEqual([]);
  });
});

describe('the graph: GET /govern/relations', () => {
  it('draws nodes and lines as graph.go encodes them', async () => {
    const s = shop();
    await call('GET', `${R}/instances?appId=shop&serviceName=pay`, { headers: { 'X-ConsumerId': s.web } });
    await call('GET', `${R}/instances?appId=shop&serviceName=web`, { headers: { 'X-ConsumerId': s.web } });
    const answer = await call('GET', '/v4/default/govern/relations');
    expect(answer.status).toBe(200);
    const body = answer.body as { nodes: unknown[]; lines: unknown[]; circles: unknown };
    expect(body.nodes).toHaveLength(5);
    expect(body.nodes).toContainEqual({ id: s.cart2, name: 'cart', appId: 'shop', version: '2.0.0', type: '', color: '', position: '' });
    // the self-dependency is left out; `to` carries only id and name
    expect(body.lines).toEqual([
      {
        from: { id: s.web, name: 'web', appId: 'shop', version: '1.0.0', type: '', color: '', position: '' },
        to: { id: s.pay, name: 'pay', appId: '', version: '', type: '', color: '', position: '' },
        type: '',
        color: '',
        descriptor: '',
      },
    ]);
    expect(body.circles).toBeNull();
    expect(answer.text).not.toContain('SERVICECENTER');
  });

  it('answers null lists for a graph without lines, and for an empty domain', async () => {
    shop();
    expect((await call('GET', '/v4/default/govern/relations')).body).toMatchObject({ lines: null, circles: null });
    expect((await call('GET', '/v4/default/govern/relations', { headers: { 'X-Domain-Name': 'empty' } })).body).toEqual({ nodes: null, lines: null, circles: null });
  });
});

describe('the govern dump with options=dependencies', () => {
  it('fills providers and consumers per service (noSelf), only when asked', async () => {
    const s = shop();
    await call('GET', `${R}/instances?appId=shop&serviceName=cart`, { headers: { 'X-ConsumerId': s.web } });
    const dump = (await call('GET', '/v4/default/govern/microservices?options=instances,dependencies')).body as { allServicesDetail: Record<string, unknown>[] };
    const of = (id: string): Record<string, unknown> | undefined => dump.allServicesDetail.find((d) => (d['microService'] as { serviceId: string }).serviceId === id);
    expect(ids(of(s.web)?.['providers'])).toEqual([s.cart1, s.cart2].sort());
    expect(of(s.web)?.['consumers']).toBeUndefined();
    expect(ids(of(s.cart1)?.['consumers'])).toEqual([s.web]);
    expect(of(s.pay)).toEqual({ microService: expect.objectContaining({ serviceId: s.pay }) });
    const all = (await call('GET', '/v4/default/govern/microservices?options=all')).body as { allServicesDetail: Record<string, unknown>[] };
    expect(all.allServicesDetail.some((d) => d['providers'] !== undefined)).toBe(true);
    const plain = (await call('GET', '/v4/default/govern/microservices?options=instances')).body as { allServicesDetail: Record<string, unknown>[] };
    expect(plain.allServicesDetail.some((d) => d['providers'] !== undefined || d['consumers'] !== undefined)).toBe(false);
  });

  it('seeds from such a dump: entries\' providers become records', async () => {
    const s = shop();
    await call('GET', `${R}/instances?appId=shop&serviceName=cart`, { headers: { 'X-ConsumerId': s.web } });
    const dump = (await call('GET', '/v4/default/govern/microservices?options=instances,dependencies')).body;
    const copy = await startRegistrySimulator({ dependencyDelayMs: 0, seed: dump });
    others.push(copy);
    expect(copy.dependencies(s.web)).toEqual(['/shop/cart']);
    const answer = await call('GET', `${R}/microservices/${s.web}/providers`, { on: copy });
    expect(ids((answer.body as { providers: unknown }).providers)).toEqual([s.cart1, s.cart2].sort());
    expect(() => copy.seed({ allServicesDetail: [{ microService: { serviceName: 'a', version: '1.0.0' }, providers: [{ appId: 'x' }] }] })).toThrow(
      'seed: allServicesDetail[0]: providers[0].serviceName is required',
    );
  });
});
