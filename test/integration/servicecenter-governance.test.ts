// RegistryClient.listGovernance against the simulator: every kind read through the usual
// request path (auth, retries), raw answers validated by lib/governance, a bad rule
// skipped without stopping the others, and a server without the API reported per kind.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GOVERNANCE_KINDS } from '../../lib/governance/kinds.ts';
import { mapGovernance } from '../../lib/governance/map-rules.ts';
import { parseGovernance } from '../../lib/governance/rules.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { RegistryClient, RegistryUnavailableError } from '../../lib/servicecenter/index.ts';
import { ORDERS, OPTIONS } from '../support/governance-rules.ts';

const shop = { app: 'shop', environment: 'production' };

let sim: RegistrySimulator;
let client: RegistryClient;

beforeAll(async () => {
  sim = await startRegistrySimulator({
    auth: { users: { reader: 'secret' } },
    seed: {
      allServicesDetail: [],
      governance: {
        'match-group': [{ name: 'api', selector: shop, spec: { alias: 'api', matches: [{ name: 'm', apiPath: { prefix: '/api' } }] } }],
        retry: [
          { name: 'api', selector: shop, spec: { maxAttempts: 2 } },
          { name: 'broken', selector: shop, spec: { maxAttempts: 'twice' } },
          { name: 'off', selector: shop, spec: { maxAttempts: 1 }, status: 'disabled' },
        ],
        'time-limiter': [{ name: 'api', selector: shop, spec: { timeoutDuration: '3s' } }],
      },
    },
  });
  client = new RegistryClient({ addresses: [sim.baseUrl], credentials: { name: 'reader', password: 'secret' }, retry: { baseMs: 1, maxMs: 5 } });
});

afterAll(async () => {
  client.close();
  await sim.close();
});

describe('RegistryClient.listGovernance', () => {
  it('reads every kind with environment=all and hands the answers over raw', async () => {
    const listing = await client.listGovernance();
    expect(listing.unavailable).toEqual([]);
    expect(Object.keys(listing.lists)).toEqual([...GOVERNANCE_KINDS]);
    expect(listing.lists.bulkhead).toEqual([]);
    expect(listing.lists.retry).toHaveLength(3);
    const traffic = sim.traffic();
    for (const kind of GOVERNANCE_KINDS) expect(traffic[`GET /v1/{project}/gov/${kind}`]?.requests).toBe(1);
  });

  it('feeds the boundary: the bad rule is reported, the disabled one skipped, the rest mapped', async () => {
    const rules = parseGovernance((await client.listGovernance()).lists);
    expect(rules.rejected.map((r) => [r.kind, r.name, r.field])).toEqual([['retry', 'broken', 'spec.maxAttempts']]);
    expect(rules.disabled.map((r) => r.name)).toEqual(['off']);
    const result = mapGovernance(ORDERS, rules, OPTIONS);
    expect(result.virtualService?.spec.http[0]).toMatchObject({ name: 'api', match: [{ uri: { prefix: '/api' } }], retries: { attempts: 2, perTryTimeout: '3s' } });
  });

  it('reads only the kinds asked for', async () => {
    const listing = await client.listGovernance(['time-limiter']);
    expect(Object.keys(listing.lists)).toEqual(['time-limiter']);
  });

  it('logs in again when the token expired and retries a 5xx, as every call does', async () => {
    const route = 'GET /v1/{project}/gov/retry';
    const before = sim.traffic()[route]?.requests ?? 0;
    sim.expireTokens();
    sim.inject({ failNext: 1, failPath: '/gov/retry' });
    const listing = await client.listGovernance(['retry']);
    expect(listing.lists.retry).toHaveLength(3);
    // the injected failure, the refused token, the answer
    expect((sim.traffic()[route]?.requests ?? 0) - before).toBe(3);
  });
});

describe('RegistryClient.listGovernance against a server without some kinds', () => {
  let stub: http.Server;
  let base: string;

  beforeAll(async () => {
    // An older service-center: no governance API but for retry; 404 with the router's text body.
    stub = http.createServer((req, res) => {
      if (req.url?.startsWith('/v1/default/gov/retry?environment=all') === true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('[]');
        return;
      }
      if (req.url?.startsWith('/v1/default/gov/bulkhead') === true) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"errorCode":"500011","errorMessage":"unavailable"}');
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => stub.close(() => resolve()));
  });

  it('reports a 404 kind as unavailable and still reads the others', async () => {
    const c = new RegistryClient({ addresses: [base] });
    try {
      const listing = await c.listGovernance(['match-group', 'retry', 'time-limiter']);
      expect(listing.lists).toEqual({ retry: [] });
      expect(listing.unavailable).toEqual([
        { kind: 'match-group', status: 404, message: expect.stringContaining('HTTP 404') },
        { kind: 'time-limiter', status: 404, message: expect.stringContaining('404 page not found') },
      ]);
    } finally {
      c.close();
    }
  });

  it('fails as a whole when the registry cannot answer: unknown, never empty', async () => {
    const c = new RegistryClient({ addresses: [base], retry: { maxAttempts: 2, baseMs: 1, maxMs: 2 } });
    try {
      await expect(c.listGovernance(['retry', 'bulkhead'])).rejects.toBeInstanceOf(RegistryUnavailableError);
    } finally {
      c.close();
    }
  });
});
