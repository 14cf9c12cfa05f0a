// The simulator's governance API against the reference (governance.md §1.2), spoken to
// with plain fetch so the client under test cannot hide a wire mistake.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';

let sim: RegistrySimulator;

interface Answer {
  status: number;
  body: unknown;
  text: string;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(sim.baseUrl + path, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

const G = '/v1/default/gov';
const shop = { app: 'shop', environment: 'production' };

const seeded = {
  allServicesDetail: [],
  governance: {
    'match-group': [{ name: 'api', id: 'mg-1', selector: shop, spec: { alias: 'api', matches: [{ name: 'm', apiPath: { prefix: '/api' } }] }, creatTime: 100, updateTime: 200 }],
    retry: [
      { name: 'api', id: 'rt-1', selector: shop, spec: { maxAttempts: 2 } },
      { name: 'api', id: 'rt-2', selector: { app: 'shop', environment: '' }, spec: { maxAttempts: 9 }, status: 'disabled' },
    ],
    // Listed like the others though grc.json cannot create it.
    'time-limiter': [{ name: 'api', id: 'tl-1', selector: shop, spec: { timeoutDuration: '2s' } }],
  },
};

beforeAll(async () => {
  sim = await startRegistrySimulator({ seed: seeded, clock: { now: () => 1_700_000_000_000 } });
});

afterAll(async () => {
  await sim.close();
});

describe('registry simulator: governance lists', () => {
  it('answers a bare JSON array of policies, seeded rules as written', async () => {
    const a = await call('GET', `${G}/match-group?environment=all`);
    expect(a.status).toBe(200);
    expect(a.body).toEqual([
      { name: 'api', id: 'mg-1', status: 'enabled', creatTime: 100, updateTime: 200, selector: shop, kind: 'match-group', spec: { alias: 'api', matches: [{ name: 'm', apiPath: { prefix: '/api' } }] } },
    ]);
    const t = await call('GET', `${G}/time-limiter?environment=all`);
    expect(t.body).toEqual([expect.objectContaining({ id: 'tl-1', kind: 'time-limiter', spec: { timeoutDuration: '2s' } })]);
    expect(await call('GET', `${G}/bulkhead?environment=all`)).toMatchObject({ status: 200, text: '[]' });
  });

  it('filters by environment unless it is "all" (an absent one is the empty label), and by app when given', async () => {
    const ids = async (query: string): Promise<unknown> => ((await call('GET', `${G}/retry${query}`)).body as { id: string }[]).map((p) => p.id);
    expect(await ids('?environment=all')).toEqual(['rt-1', 'rt-2']);
    expect(await ids('?environment=production')).toEqual(['rt-1']);
    expect(await ids('')).toEqual(['rt-2']);
    expect(await ids('?environment=all&app=billing')).toEqual([]);
    expect(await ids('?environment=all&app=shop')).toEqual(['rt-1', 'rt-2']);
  });

  it('joins match groups with their policies on display', async () => {
    const a = await call('GET', `${G}/display?environment=production`);
    expect(a.body).toEqual([{ matchGroup: expect.objectContaining({ id: 'mg-1' }), policies: [expect.objectContaining({ id: 'rt-1', kind: 'retry' })] }]);
  });

  it('keeps domains and projects apart', async () => {
    expect((await call('GET', '/v1/other/gov/retry?environment=all')).body).toEqual([]);
    expect((await call('GET', `${G}/retry?environment=all`, undefined, { 'x-domain-name': 'team-b' })).body).toEqual([]);
  });
});

describe('registry simulator: governance create, update, delete', () => {
  it('creates a policy enabled, with the selector as labels, and answers its id', async () => {
    const created = await call('POST', `${G}/retry`, { name: 'checkout', selector: shop, spec: { maxAttempts: 3, retryOnResponseStatus: ['503'] } });
    expect(created.status).toBe(200);
    const id = (created.body as { id: string }).id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const got = await call('GET', `${G}/retry/${id}`);
    expect(got.body).toEqual({ name: 'checkout', id, status: 'enabled', creatTime: 1_700_000_000, updateTime: 1_700_000_000, selector: shop, kind: 'retry', spec: { maxAttempts: 3, retryOnResponseStatus: ['503'] } });
  });

  it('names an unnamed match group scene-xxxx and defaults its alias to the name', async () => {
    const created = await call('POST', `${G}/match-group`, { selector: shop, spec: { alias: '', matches: [{ name: 'all' }] } });
    const id = (created.body as { id: string }).id;
    const got = (await call('GET', `${G}/match-group/${id}`)).body as { name: string; spec: { alias: string } };
    expect(got.name).toMatch(/^scene-[0-9a-z]{4}$/);
    expect(got.spec.alias).toBe(got.name);
  });

  it('validates the spec against the kind\'s schema: 400, errorCode 400001, the reason in detail', async () => {
    const a = await call('POST', `${G}/retry`, { name: 'x', selector: shop, spec: { waitDuration: '1s' } });
    expect(a).toMatchObject({ status: 400, body: { errorCode: '400001', errorMessage: 'Invalid parameter(s)', detail: 'illegal policy[retry] spec, msg: maxAttempts in body is required' } });
    const b = await call('POST', `${G}/match-group`, { name: 'x', selector: shop, spec: { alias: 'x', matches: [{ name: 'm', method: ['FETCH'], apiPath: {} }] } });
    expect((b.body as { detail: string }).detail).toBe('illegal policy[match-group] spec, msg: matches.0.apiPath in body should have at least 1 properties; matches.0.method in body should be one of [GET POST DELETE PUT PATCH]');
    const c = await call('POST', `${G}/time-limiter`, { name: 'x', selector: shop, spec: { timeoutDuration: '1s' } });
    expect(c).toMatchObject({ status: 400, body: { errorCode: '400001', detail: 'not support kind[time-limiter] yet' } });
    expect(await call('POST', `${G}/retry`, '{not json')).toMatchObject({ status: 400, body: { errorCode: '400001' } });
  });

  it('refuses a second rule of one kind, name and labels as kie does: service-center\'s internal error', async () => {
    await call('POST', `${G}/loadbalance`, { name: 'twice', selector: shop, spec: { rule: 'Random' } });
    const again = await call('POST', `${G}/loadbalance`, { name: 'twice', selector: shop, spec: { rule: 'Random' } });
    expect(again).toMatchObject({ status: 500, body: { errorCode: '500003', detail: expect.stringContaining('servicecomb.loadbalance.twice') } });
    // Other labels are another key.
    expect((await call('POST', `${G}/loadbalance`, { name: 'twice', selector: { app: 'shop', environment: 'testing' }, spec: { rule: 'Random' } })).status).toBe(200);
  });

  it('updates the spec and the status (disable), keeping name and labels; an empty answer', async () => {
    const id = ((await call('POST', `${G}/bulkhead`, { name: 'bh', selector: shop, spec: { maxConcurrentCalls: 5 } })).body as { id: string }).id;
    const put = await call('PUT', `${G}/bulkhead/${id}`, { status: 'disabled', spec: { maxConcurrentCalls: 7 } });
    expect(put).toMatchObject({ status: 200, text: '' });
    expect((await call('GET', `${G}/bulkhead/${id}`)).body).toMatchObject({ name: 'bh', status: 'disabled', selector: shop, spec: { maxConcurrentCalls: 7 } });
    expect((await call('PUT', `${G}/bulkhead/${id}`, { spec: {} })).status).toBe(400);
  });

  it('deletes a policy by id; deleting a match group takes its policies of the same labels along', async () => {
    const mg = ((await call('POST', `${G}/match-group`, { name: 'gone', selector: shop, spec: { alias: 'gone', matches: [{ name: 'x' }] } })).body as { id: string }).id;
    const rt = ((await call('POST', `${G}/retry`, { name: 'gone', selector: shop, spec: { maxAttempts: 1 } })).body as { id: string }).id;
    const other = ((await call('POST', `${G}/retry`, { name: 'gone', selector: { app: 'billing', environment: 'production' }, spec: { maxAttempts: 1 } })).body as { id: string }).id;
    expect(await call('DELETE', `${G}/match-group/${mg}`)).toMatchObject({ status: 200, text: '' });
    expect((await call('GET', `${G}/retry/${rt}`)).status).toBe(500);
    expect((await call('GET', `${G}/retry/${other}`)).status).toBe(200);
    expect(await call('DELETE', `${G}/retry/${other}`)).toMatchObject({ status: 200, text: '' });
    expect(sim.governanceRules('retry').map((r) => r['id'])).not.toContain(other);
  });

  it('answers an unknown id with the internal error kie\'s 404 becomes', async () => {
    for (const [method, body] of [['GET', undefined], ['PUT', { spec: { maxAttempts: 1 } }], ['DELETE', undefined]] as const) {
      expect(await call(method, `${G}/retry/no-such-id`, body)).toMatchObject({ status: 500, body: { errorCode: '500003', detail: expect.stringContaining('404') } });
    }
  });

  it('answers 405 for another method and 404 outside the API', async () => {
    expect((await call('PATCH', `${G}/retry`)).status).toBe(405);
    expect(await call('GET', '/v1/default/kie/kv')).toMatchObject({ status: 404, text: '404 page not found' });
  });

  it('counts governance traffic by route, ids as *', async () => {
    const traffic = sim.traffic();
    expect(traffic['GET /v1/{project}/gov/retry']?.requests).toBeGreaterThan(0);
    expect(traffic['GET /v1/{project}/gov/retry/*']?.requests).toBeGreaterThan(0);
  });
});

describe('registry simulator: governance with RBAC and seeds', () => {
  it('wants a token on the governance API as on the rest', async () => {
    const secured = await startRegistrySimulator({ auth: { users: { admin: 'pw' } } });
    try {
      const denied = await fetch(`${secured.baseUrl}${G}/retry?environment=all`);
      expect(denied.status).toBe(401);
      const { token } = (await (await fetch(`${secured.baseUrl}/v4/token`, { method: 'POST', body: JSON.stringify({ name: 'admin', password: 'pw' }) })).json()) as { token: string };
      const allowed = await fetch(`${secured.baseUrl}${G}/retry?environment=all`, { headers: { authorization: `Bearer ${token}` } });
      expect(allowed.status).toBe(200);
    } finally {
      await secured.close();
    }
  });

  it('refuses a bad governance seed naming the rule, and stores rules put directly', () => {
    expect(() => sim.seed({ governance: { retry: [{ name: 'x' }] } })).toThrow('seed: governance.retry[0].spec must be an object');
    expect(() => sim.seed({ governance: { retry: {} } })).toThrow('seed: governance.retry must be a list');
    expect(() => sim.seed({ governance: { Retry: [{ name: 'x', spec: {} }] } })).toThrow('seed: governance.Retry[0]: "Retry" is not a governance kind');
    const id = sim.putGovernanceRule('circuit-breaker', { name: 'direct', selector: shop, spec: { minimumNumberOfCalls: 'not validated' } });
    expect(sim.governanceRules('circuit-breaker')).toEqual([expect.objectContaining({ id, name: 'direct', status: 'enabled' })]);
    expect(sim.seed({ governance: { bulkhead: [{ name: 'seeded', spec: {} }] } })).toEqual({ services: 0, instances: 0, rules: 1 });
  });
});
