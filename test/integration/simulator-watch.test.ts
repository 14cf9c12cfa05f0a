// The simulator's watch socket against the reference: who gets events, when, and the
// liveness rules (pings, read deadline, a vanished consumer, restarts, slow consumers).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import WebSocket from 'ws';
import { startRegistrySimulator, type RegistrySimulator, type RegistrySimulatorOptions } from '../../lib/registry-simulator/simulator.ts';
import { delay, eventually } from '../../lib/registry-simulator/eventually.ts';

interface Watcher {
  ws: WebSocket;
  frames: string[];
  pings: number;
  closed: Promise<number>;
  events(): { action: string; key: { serviceName: string; version: string }; instance: { instanceId: string; status?: string } }[];
}

const open: WebSocket[] = [];

function watch(sim: RegistrySimulator, consumerId: string, headers: Record<string, string> = {}): Promise<Watcher> {
  const ws = new WebSocket(`${sim.wsBaseUrl}/v4/default/registry/microservices/${consumerId}/watcher`, { headers });
  open.push(ws);
  const w: Watcher = {
    ws,
    frames: [],
    pings: 0,
    closed: new Promise((resolve) => ws.on('close', (code) => resolve(code))),
    events: () => w.frames.filter((f) => f.startsWith('{')).map((f) => JSON.parse(f)),
  };
  ws.on('message', (data) => w.frames.push(String(data)));
  ws.on('ping', () => w.pings++);
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(w));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

async function batchFind(sim: RegistrySimulator, consumerId: string, appId: string, names: string[]): Promise<unknown> {
  const res = await fetch(`${sim.baseUrl}/v4/default/registry/instances/action?type=query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-consumerid': consumerId },
    body: JSON.stringify({ services: names.map((serviceName) => ({ service: { appId, serviceName, version: '1.0.0' }, rev: '' })) }),
  });
  expect(res.status).toBe(200);
  return res.json();
}

const sims: RegistrySimulator[] = [];
async function start(options: RegistrySimulatorOptions = {}): Promise<RegistrySimulator> {
  const sim = await startRegistrySimulator(options);
  sims.push(sim);
  return sim;
}

afterAll(async () => {
  for (const ws of open) ws.terminate();
  await Promise.all(sims.map((s) => s.close()));
});

describe('watch: who receives events', () => {
  let sim: RegistrySimulator;
  let consumer: string;
  let found: string;
  let neverFound: string;
  beforeAll(async () => {
    sim = await start({ dependencyDelayMs: 150 });
    consumer = sim.registerService({ appId: 'shop', serviceName: 'watcher', version: '1.0.0' });
    found = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    neverFound = sim.registerService({ appId: 'shop', serviceName: 'billing', version: '1.0.0' });
  });

  it('delivers CREATE, UPDATE and DELETE only for found providers, once the dependency is recorded', async () => {
    const w = await watch(sim, consumer);
    await batchFind(sim, consumer, 'shop', ['cart']);
    // recorded a moment after the find, as the real server does: this change is not seen
    const early = sim.registerInstance(found, { hostName: 'early' });
    await eventually(() => sim.dependencies(consumer), (d) => d.length === 1, 2_000, 'dependency');
    const id = sim.registerInstance(found, { hostName: 'cart-1', endpoints: ['rest://10.0.0.1:8080'] });
    sim.heartbeat(found, id); // a heartbeat alone sends nothing
    sim.setInstanceStatus(found, id, 'DOWN');
    sim.setInstanceProperties(found, id, { weight: '5' });
    sim.registerInstance(neverFound, { hostName: 'billing-1' });
    sim.unregisterInstance(found, id);
    await eventually(() => w.events().length, (n) => n >= 4, 2_000, 'four events');
    await delay(50);
    const events = w.events();
    expect(events.map((e) => `${e.action} ${e.key.serviceName} ${e.instance.instanceId}`)).toEqual([
      `CREATE cart ${id}`,
      `UPDATE cart ${id}`,
      `UPDATE cart ${id}`,
      `DELETE cart ${id}`,
    ]);
    expect(events[1]?.instance.status).toBe('DOWN');
    expect(JSON.parse(w.frames[0] as string)).toMatchObject({ key: { tenant: 'default/default', appId: 'shop', serviceName: 'cart', version: '1.0.0' } });
    expect(events.some((e) => e.instance.instanceId === early)).toBe(false);
  });

  it('sends events of a new version of a found name without another find', async () => {
    const w = await watch(sim, consumer);
    const v2 = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '2.0.0' });
    const id = sim.registerInstance(v2, { hostName: 'cart-v2' });
    await eventually(() => w.events(), (e) => e.some((x) => x.instance.instanceId === id && x.key.version === '2.0.0'), 2_000, 'v2 event');
  });

  it('sends each event to every socket of the consumer, and none to another consumer', async () => {
    const a = await watch(sim, consumer);
    const b = await watch(sim, consumer);
    const stranger = sim.registerService({ appId: 'shop', serviceName: 'stranger', version: '1.0.0' });
    const s = await watch(sim, stranger);
    const id = sim.registerInstance(found, { hostName: 'fanout' });
    for (const w of [a, b]) await eventually(() => w.events(), (e) => e.some((x) => x.instance.instanceId === id), 2_000, 'fan-out');
    await delay(50);
    expect(s.frames).toEqual([]);
  });

  it('answers an unknown consumer with one text frame and closes without a close frame', async () => {
    const w = await watch(sim, 'no-such-consumer');
    expect(await w.closed).toBe(1006);
    expect(w.frames).toEqual(['service does not exist']);
  });

  it('answers a plain GET on the watcher path with 400', async () => {
    const res = await fetch(`${sim.baseUrl}/v4/default/registry/microservices/${consumer}/watcher`);
    expect(res.status).toBe(400);
    await res.text();
  });
});

describe('watch: liveness', () => {
  it('pings an idle subscriber, and stops once the client pings', async () => {
    const sim = await start({ watch: { pingIntervalMs: 60, readTimeoutMs: 5_000 } });
    const consumer = sim.registerService({ appId: 'a', serviceName: 'w', version: '1.0.0' });
    const w = await watch(sim, consumer);
    await eventually(() => w.pings, (n) => n >= 2, 2_000, 'server pings');
    w.ws.ping();
    await delay(100);
    const after = w.pings;
    await delay(250);
    expect(w.pings - after).toBe(0);
  });

  it('drops a silent socket at the read deadline without a close frame; client pings keep it', async () => {
    const sim = await start({ watch: { pingIntervalMs: 60_000, readTimeoutMs: 300 } });
    const consumer = sim.registerService({ appId: 'a', serviceName: 'w', version: '1.0.0' });
    const silent = await watch(sim, consumer);
    const pinging = await watch(sim, consumer);
    const timer = setInterval(() => pinging.ws.ping(), 80);
    try {
      expect(await silent.closed).toBe(1006);
      await delay(300);
      expect(pinging.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      clearInterval(timer);
    }
  });

  it('does not close the socket of a deleted consumer promptly, and sends it nothing more', async () => {
    const sim = await start({ dependencyDelayMs: 0, watch: { pingIntervalMs: 60, readTimeoutMs: 5_000 } });
    const consumer = sim.registerService({ appId: 'a', serviceName: 'w', version: '1.0.0' });
    const provider = sim.registerService({ appId: 'a', serviceName: 'p', version: '1.0.0' });
    const w = await watch(sim, consumer);
    await batchFind(sim, consumer, 'a', ['p']);
    const timer = setInterval(() => w.ws.ping(), 50);
    try {
      sim.unregisterService(consumer);
      sim.registerInstance(provider, { hostName: 'after-delete' });
      await delay(300);
      expect(w.ws.readyState).toBe(WebSocket.OPEN);
      expect(w.frames).toEqual([]);
    } finally {
      clearInterval(timer);
    }
  });

  it('stops pinging a subscriber whose consumer is gone, which then dies on the read deadline', async () => {
    const sim = await start({ watch: { pingIntervalMs: 50, readTimeoutMs: 400 } });
    const consumer = sim.registerService({ appId: 'a', serviceName: 'w', version: '1.0.0' });
    const w = await watch(sim, consumer);
    await eventually(() => w.pings, (n) => n >= 1, 2_000, 'a ping');
    sim.unregisterService(consumer);
    expect(await w.closed).toBe(1006);
  });
});

describe('watch: restarts and faults', () => {
  it('drops every socket on restart and keeps the registry state', async () => {
    const sim = await start({ dependencyDelayMs: 0 });
    const consumer = sim.registerService({ appId: 'r', serviceName: 'w', version: '1.0.0' });
    const a = await watch(sim, consumer);
    const b = await watch(sim, consumer);
    await sim.restart();
    expect(await a.closed).toBe(1006);
    expect(await b.closed).toBe(1006);
    expect(sim.watcherCount()).toBe(0);
    const res = await fetch(`${sim.baseUrl}/v4/default/registry/microservices/${consumer}`);
    expect(res.status).toBe(200);
    await res.text();
    const again = await watch(sim, consumer);
    expect(again.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('drops a slow consumer whose queue overflows, and drops sockets on demand', async () => {
    const sim = await start({ dependencyDelayMs: 0 });
    const consumer = sim.registerService({ appId: 's', serviceName: 'w', version: '1.0.0' });
    const provider = sim.registerService({ appId: 's', serviceName: 'p', version: '1.0.0' });
    await batchFind(sim, consumer, 's', ['p']);
    const slow = await watch(sim, consumer);
    sim.inject({ slowConsumer: { delayMs: 40, maxQueue: 3 } });
    for (let i = 0; i < 10; i++) sim.registerInstance(provider, { hostName: `h${i}` });
    expect(await slow.closed).toBe(1006);
    expect(slow.events().length).toBeLessThan(10);
    sim.clearFaults();
    const other = await watch(sim, consumer);
    expect(sim.dropSockets()).toBe(1);
    expect(await other.closed).toBe(1006);
    sim.inject({ refuseWatch: true });
    await expect(watch(sim, consumer)).rejects.toThrow('HTTP 503');
  });
});

describe('heartbeat expiry', () => {
  it('raises interval and times to the server minimums and announces expiry as DELETE (controllable clock)', async () => {
    let now = 1_000_000;
    const sim = await start({ clock: { now: () => now }, dependencyDelayMs: 0, heartbeat: { sweepIntervalMs: 60_000 } });
    const consumer = sim.registerService({ appId: 'h', serviceName: 'w', version: '1.0.0' });
    const provider = sim.registerService({ appId: 'h', serviceName: 'p', version: '1.0.0' });
    await batchFind(sim, consumer, 'h', ['p']);
    const w = await watch(sim, consumer);
    // asks for 1 s × (1+1); the server makes it 5 s × (3+1) = 20 s
    const id = sim.registerInstance(provider, { hostName: 'beating', healthCheck: { mode: 'push', interval: 1, times: 1 } });
    const pulled = sim.registerInstance(provider, { hostName: 'pulled', healthCheck: { mode: 'pull', interval: 1, times: 1 } });
    now += 15_000;
    sim.heartbeat(provider, id);
    now += 19_000;
    expect(sim.sweepExpired()).toBe(0);
    now += 2_000;
    expect(sim.sweepExpired()).toBe(1);
    expect(sim.snapshot().get(provider)).toEqual(new Set([pulled]));
    await eventually(() => w.events(), (e) => e.some((x) => x.action === 'DELETE' && x.instance.instanceId === id), 2_000, 'DELETE on expiry');
  });

  it('expires on real timers with lowered minimums', async () => {
    const sim = await start({ dependencyDelayMs: 0, heartbeat: { minInterval: 0, minTimes: 0, sweepIntervalMs: 50 } });
    const provider = sim.registerService({ appId: 'h', serviceName: 'p', version: '1.0.0' });
    const id = sim.registerInstance(provider, { hostName: 'short', healthCheck: { mode: 'push', interval: 0.3, times: 0 } });
    const kept = sim.registerInstance(provider, { hostName: 'kept', healthCheck: { mode: 'push', interval: 0.3, times: 0 } }, { keepAlive: true });
    await eventually(() => sim.snapshot().get(provider), (s) => s !== undefined && !s.has(id), 2_000, 'expiry');
    expect(sim.snapshot().get(provider)).toEqual(new Set([kept]));
  });
});
