// RegistryClient under failure: token login and re-login, failover, circuit breakers,
// retries on 5xx / resets / timeouts (never on 4xx), TLS verification.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { RegistryClient, RegistryError, RegistryUnavailableError, TransportError } from '../../lib/servicecenter/index.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';

const TLS_DIR = new URL('../../lib/registry-simulator/tls/', import.meta.url);
const tlsFile = (name: string): string => readFileSync(new URL(name, TLS_DIR), 'utf8');

/** An address nothing listens on (bound once, then released). */
async function deadAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}`;
}

/** A registry that answers every request with 503 and counts them. */
async function failingRegistry(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errorCode: '503000', errorMessage: 'overloaded' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const noJitter = { random: () => 0 };
let sim: RegistrySimulator;

beforeAll(async () => {
  sim = await startRegistrySimulator();
});

afterAll(async () => {
  await sim.close();
});

describe('token auth', () => {
  let secured: RegistrySimulator;
  beforeAll(async () => {
    secured = await startRegistrySimulator({ auth: { users: { sc2mesh: 'pw' } } });
  });
  afterAll(async () => {
    await secured.close();
  });

  it('logs in once, and again after the token expired (401)', async () => {
    const client = new RegistryClient({ addresses: [secured.baseUrl], credentials: { name: 'sc2mesh', password: 'pw' } });
    try {
      await Promise.all([client.listServices(), client.listServices(), client.governDump()]);
      expect(secured.stats().logins).toBe(1);
      secured.expireTokens();
      const id = await client.registerService({ appId: 'a', serviceName: 'after-expiry', version: '1.0.0' });
      expect(id).toMatch(/^[0-9a-f]{40}$/);
      expect(secured.stats().logins).toBe(2);
    } finally {
      client.close();
    }
  });

  it('surfaces wrong credentials and a missing login as 401 errors', async () => {
    const wrong = new RegistryClient({ addresses: [secured.baseUrl], credentials: { name: 'sc2mesh', password: 'nope' } });
    const anonymous = new RegistryClient({ addresses: [secured.baseUrl] });
    try {
      await expect(wrong.listServices()).rejects.toMatchObject({ name: 'RegistryError', status: 401, errorCode: '401002' });
      await expect(anonymous.listServices()).rejects.toMatchObject({ status: 401, errorCode: '401002' });
    } finally {
      wrong.close();
      anonymous.close();
    }
  });
});

describe('failover and circuit breaker', () => {
  it('fails over from a dead address to a live one and stays there', async () => {
    const dead = await deadAddress();
    const client = new RegistryClient({ addresses: [dead, sim.baseUrl], ...noJitter });
    try {
      const before = sim.stats().requests;
      await client.listServices();
      await client.listServices();
      expect(sim.stats().requests - before).toBe(2);
      expect(client.http.pool.current()).toBe(sim.baseUrl);
      expect(client.http.pool.states()[0]).toMatchObject({ address: dead, consecutiveFailures: 1 });
    } finally {
      client.close();
    }
  });

  it('opens the breaker after N failures, skips the address, and tries it again after the cool-down', async () => {
    const bad = await failingRegistry();
    const client = new RegistryClient({ addresses: [bad.url], breaker: { failureThreshold: 2, coolDownMs: 200 }, retry: { maxAttempts: 5, baseMs: 1, maxMs: 5 } });
    try {
      const error = await client.listServices().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect((error as RegistryUnavailableError).message).toContain('503000');
      expect(bad.hits()).toBe(2);
      expect(client.http.pool.states()[0]?.state).toBe('open');
      await expect(client.listServices({})).rejects.toThrow('open circuit breaker');
      expect(bad.hits()).toBe(2);
      await new Promise((r) => setTimeout(r, 220));
      await expect(client.listServices()).rejects.toBeInstanceOf(RegistryUnavailableError);
      // one half-open trial, which failed and re-opened the breaker
      expect(bad.hits()).toBe(3);
    } finally {
      client.close();
      await bad.close();
    }
  });

  it('with a single address, answers within about a second of a registry restart instead of after the 10 s cool-down', async () => {
    const own = await startRegistrySimulator();
    // the default breaker: 3 failures, 10 s
    const client = new RegistryClient({ addresses: [own.baseUrl], retry: { maxAttempts: 4, baseMs: 10, maxMs: 50 }, timeoutMs: 1_000 });
    try {
      await client.listServices();
      const back = own.restart({ downtimeMs: 800 });
      await expect(client.listServices()).rejects.toBeInstanceOf(RegistryUnavailableError);
      expect(client.http.pool.states()[0]).toMatchObject({ state: 'open', consecutiveFailures: 3 });
      // still down: a call at once is refused by the open breaker without reaching the registry
      await expect(client.listServices()).rejects.toThrow('open circuit breaker');
      await back;
      const t0 = performance.now();
      let calls = 0;
      for (;;) {
        calls++;
        try {
          await client.listServices();
          break;
        } catch (error) {
          expect(error).toBeInstanceOf(RegistryUnavailableError);
          if (performance.now() - t0 > 4_000) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const blindMs = performance.now() - t0;
      expect(blindMs).toBeLessThan(1_200);
      expect(client.http.pool.states()[0]).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
      expect(calls).toBeGreaterThanOrEqual(1);
    } finally {
      client.close();
      await own.close();
    }
  });

  it('probes a single address that stays down at most once per probe interval', async () => {
    const bad = await failingRegistry();
    const client = new RegistryClient({ addresses: [bad.url], breaker: { failureThreshold: 2, coolDownMs: 60_000, probeIntervalMs: 300 }, retry: { maxAttempts: 5, baseMs: 1, maxMs: 5 } });
    try {
      await expect(client.listServices()).rejects.toBeInstanceOf(RegistryUnavailableError);
      expect(bad.hits()).toBe(2);
      // a burst of calls right after: all refused without a request
      const burst = await Promise.all(Array.from({ length: 20 }, () => client.listServices().catch((e: unknown) => e)));
      expect(burst.every((e) => e instanceof RegistryUnavailableError && e.message.includes('open circuit breaker'))).toBe(true);
      expect(bad.hits()).toBe(2);
      await new Promise((r) => setTimeout(r, 320));
      // the probe interval has passed: of a burst, exactly one call goes through, and its failure keeps the breaker open
      const probes = await Promise.all(Array.from({ length: 20 }, () => client.listServices().catch((e: unknown) => e)));
      expect(probes.every((e) => e instanceof RegistryUnavailableError)).toBe(true);
      expect(bad.hits()).toBe(3);
      expect(client.http.pool.states()[0]?.state).toBe('open');
    } finally {
      client.close();
      await bad.close();
    }
  });

  it('reports every address down as unavailable, with the network cause', async () => {
    const client = new RegistryClient({ addresses: [await deadAddress(), await deadAddress()], retry: { maxAttempts: 3, baseMs: 1, maxMs: 5 } });
    try {
      const error = (await client.listServices().catch((e: unknown) => e)) as RegistryUnavailableError;
      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect(error.cause).toBeInstanceOf(TransportError);
      expect((error.cause as TransportError).code).toBe('ECONNREFUSED');
    } finally {
      client.close();
    }
  });
});

describe('retries', () => {
  it('retries injected 5xx and connection resets, then succeeds', async () => {
    const client = new RegistryClient({ addresses: [sim.baseUrl], ...noJitter, breaker: { failureThreshold: 10 } });
    try {
      sim.inject({ failNext: 2 });
      let before = sim.stats().requests;
      await client.listServices();
      expect(sim.stats().requests - before).toBe(3);
      sim.inject({ resetNext: 1 });
      before = sim.stats().requests;
      await client.governDump();
      expect(sim.stats().requests - before).toBe(2);
    } finally {
      sim.clearFaults();
      client.close();
    }
  });

  it('never retries a 4xx, nor resends a non-idempotent call after a 5xx', async () => {
    const client = new RegistryClient({ addresses: [sim.baseUrl], ...noJitter });
    try {
      let before = sim.stats().requests;
      await expect(client.getService('unknown-id').then(() => client.unregisterService('unknown-id'))).rejects.toBeInstanceOf(RegistryError);
      expect(sim.stats().requests - before).toBe(2);
      const serviceId = await client.registerService({ appId: 'r', serviceName: 'once', version: '1.0.0' });
      sim.inject({ failNext: 1 });
      before = sim.stats().requests;
      await expect(client.registerInstance(serviceId, { hostName: 'h' })).rejects.toBeInstanceOf(RegistryUnavailableError);
      expect(sim.stats().requests - before).toBe(1);
      // with an explicit instanceId a resend is harmless, so it is retried
      sim.inject({ failNext: 1 });
      expect(await client.registerInstance(serviceId, { instanceId: 'fixed-id', hostName: 'h' })).toBe('fixed-id');
    } finally {
      sim.clearFaults();
      client.close();
    }
  });

  it('times out a slow answer and gives up after the attempts', async () => {
    const client = new RegistryClient({ addresses: [sim.baseUrl], timeoutMs: 100, retry: { maxAttempts: 2, baseMs: 1, maxMs: 1 } });
    try {
      sim.inject({ latencyMs: 400 });
      const error = (await client.listServices().catch((e: unknown) => e)) as RegistryUnavailableError;
      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect(error.attempts).toBe(2);
      expect((error.cause as TransportError).code).toBe('ETIMEDOUT');
    } finally {
      sim.clearFaults();
      client.close();
    }
  });

  it('stops at once when the caller aborts', async () => {
    const client = new RegistryClient({ addresses: [sim.baseUrl], timeoutMs: 5_000 });
    try {
      sim.inject({ latencyMs: 2_000 });
      const controller = new AbortController();
      const pending = client.listServices({ signal: controller.signal });
      setTimeout(() => controller.abort(new Error('caller gave up')), 50);
      await expect(pending).rejects.toThrow('caller gave up');
    } finally {
      sim.clearFaults();
      client.close();
    }
  });
});

describe('TLS', () => {
  let secure: RegistrySimulator;
  beforeAll(async () => {
    secure = await startRegistrySimulator({ tls: { key: tlsFile('server-key.pem'), cert: tlsFile('server.pem') } });
  });
  afterAll(async () => {
    await secure.close();
  });

  it('trusts the registry through the CA bundle given, and verifies by default', async () => {
    expect(secure.baseUrl).toMatch(/^https:/);
    const trusted = new RegistryClient({ addresses: [secure.baseUrl], tls: { ca: tlsFile('ca.pem') } });
    const untrusted = new RegistryClient({ addresses: [secure.baseUrl], retry: { maxAttempts: 1 } });
    const insecure = new RegistryClient({ addresses: [secure.baseUrl], tls: { rejectUnauthorized: false } });
    try {
      expect(await trusted.listServices()).toEqual([]);
      const error = (await untrusted.listServices().catch((e: unknown) => e)) as RegistryUnavailableError;
      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect((error.cause as TransportError).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      expect(await insecure.listServices()).toEqual([]);
    } finally {
      trusted.close();
      untrusted.close();
      insecure.close();
    }
  });
});
