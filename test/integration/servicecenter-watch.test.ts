// WatchClient against the simulator: the initial view, typed events, new names and
// versions, restarts, dropped sockets, a deleted consumer, malformed frames, missed
// events, auth over TLS, what is logged while the registry is down. "View" = per watched
// service, the instanceIds a listener can know from the events alone, re-reading a
// service when it is added and an app when told events may have been lost (as the
// watcher does); after every disturbance it must equal the simulator's own state. The
// client keeps no view of its own: that it needs no more than its events to be right is
// what these tests show.
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../lib/log.ts';
import type { AddressInfo } from 'node:net';
import { WatchClient, type WatchClientEvent, type WatchClientOptions } from '../../lib/servicecenter/index.ts';
import { startRegistrySimulator, type RegistrySimulator, type RegistrySimulatorOptions } from '../../lib/registry-simulator/simulator.ts';
import { delay, eventually } from '../../lib/registry-simulator/eventually.ts';

const CONSUMER = 'sc2mesh-watcher';

function simView(sim: RegistrySimulator): Record<string, string[]> {
  const consumers = new Set(sim.listServices().filter((s) => s['serviceName'] === CONSUMER).map((s) => s['serviceId'] as string));
  const out: Record<string, string[]> = {};
  for (const [id, instances] of sim.snapshot()) if (!consumers.has(id)) out[id] = [...instances].sort();
  return out;
}

/** A listener's view, from the events only; re-reads from the simulator are what a push would read. */
class EventView {
  readonly #sim: RegistrySimulator;
  readonly #view = new Map<string, Set<string>>();
  constructor(sim: RegistrySimulator) {
    this.#sim = sim;
  }
  apply(e: WatchClientEvent): void {
    if (e.type === 'service-added') this.#reread([e.serviceId]);
    else if (e.type === 'service-removed') this.#view.delete(e.serviceId);
    else if (e.type === 'resync-needed') {
      const ids = this.#sim.listServices().filter((s) => s['appId'] === e.appId && String(s['environment'] ?? '') === e.environment && s['serviceName'] !== CONSUMER);
      this.#reread(ids.map((s) => s['serviceId'] as string));
    } else if (e.type === 'instance-created' || e.type === 'instance-updated' || e.type === 'instance-deleted') {
      const instances = this.#view.get(e.serviceId);
      if (instances === undefined) return;
      if (e.type === 'instance-deleted') instances.delete(e.instance.instanceId);
      else instances.add(e.instance.instanceId);
    }
  }
  #reread(serviceIds: string[]): void {
    const now = this.#sim.snapshot();
    for (const id of serviceIds) this.#view.set(id, new Set(now.get(id) ?? []));
  }
  get(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [id, instances] of [...this.#view].sort(([a], [b]) => a.localeCompare(b))) out[id] = [...instances].sort();
    return out;
  }
}

const views = new Map<WatchClient, EventView>();
function clientView(client: WatchClient): Record<string, string[]> {
  return views.get(client)?.get() ?? {};
}

function sortedView(view: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(view).sort(([a], [b]) => a.localeCompare(b)));
}

async function viewsConverge(client: WatchClient, sim: RegistrySimulator, what = 'views equal'): Promise<void> {
  await eventually(
    () => ({ client: clientView(client), sim: sortedView(simView(sim)) }),
    (v) => JSON.stringify(v.client) === JSON.stringify(v.sim),
    4_000,
    what,
  );
}

const clients: WatchClient[] = [];
const sims: RegistrySimulator[] = [];

async function startSim(options: RegistrySimulatorOptions = {}): Promise<RegistrySimulator> {
  const sim = await startRegistrySimulator({ dependencyDelayMs: 50, ...options });
  sims.push(sim);
  return sim;
}

function newClient(sim: RegistrySimulator, options: Partial<WatchClientOptions> = {}): { client: WatchClient; events: WatchClientEvent[] } {
  const client = new WatchClient({
    registry: { addresses: [sim.baseUrl], retry: { maxAttempts: 2, baseMs: 10, maxMs: 50 }, timeoutMs: 2_000 },
    listIntervalMs: 150,
    pingIntervalMs: 500,
    reconnect: { baseMs: 20, maxMs: 200 },
    ...options,
  });
  const events: WatchClientEvent[] = [];
  const view = new EventView(sim);
  views.set(client, view);
  client.onAny((e) => {
    events.push(e);
    view.apply(e);
  });
  clients.push(client);
  return { client, events };
}

afterEach(async () => {
  views.clear();
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

describe('WatchClient: view and events', () => {
  it('builds its view from one consumer and one find per (app, environment), and emits typed events', async () => {
    const sim = await startSim();
    const cart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    const stock = sim.registerService({ appId: 'shop', serviceName: 'stock', version: '1.0.0' });
    const prodCart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0', environment: 'production' });
    const ledger = sim.registerService({ appId: 'billing', serviceName: 'ledger', version: '3.1.0' });
    const c1 = sim.registerInstance(cart, { hostName: 'cart-1', endpoints: ['rest://10.0.0.1:8080'] });
    sim.registerInstance(stock, { hostName: 'stock-1' });
    sim.registerInstance(ledger, { hostName: 'ledger-1' });
    const { client, events } = newClient(sim);
    await client.start();
    expect(clientView(client)).toEqual(sortedView(simView(sim)));
    expect(client.held()).toEqual({ services: 4, instances: 3 });
    expect(client.consumers().map((c) => `${c.environment}/${c.appId}:${c.connected}`).sort()).toEqual(['/billing:true', '/shop:true', 'production/shop:true']);
    expect(new Set(sim.listServices().filter((s) => s['serviceName'] === CONSUMER).map((s) => `${String(s['environment'] ?? '')}/${String(s['appId'])}`))).toEqual(
      new Set(['/billing', '/shop', 'production/shop']),
    );
    expect(events.filter((e) => e.type === 'service-added').map((e) => (e.type === 'service-added' ? e.serviceId : '')).sort()).toEqual([cart, stock, prodCart, ledger].sort());

    await eventually(() => client.consumers().map((c) => sim.dependencies(c.consumerId ?? '').length), (d) => d.every((n) => n > 0), 2_000, 'dependencies');
    sim.setInstanceStatus(cart, c1, 'DOWN');
    const p1 = sim.registerInstance(prodCart, { hostName: 'prod-cart-1' });
    sim.unregisterInstance(cart, c1);
    await eventually(() => events.filter((e) => e.type.startsWith('instance-')).length, (n) => n >= 3, 2_000, 'three instance events');
    const instanceEvents = events.filter((e) => e.type.startsWith('instance-'));
    expect(instanceEvents).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'instance-updated', appId: 'shop', serviceName: 'cart', version: '1.0.0', environment: '', serviceId: cart, instance: expect.objectContaining({ instanceId: c1, status: 'DOWN' }) }),
        expect.objectContaining({ type: 'instance-created', appId: 'shop', serviceName: 'cart', environment: 'production', serviceId: prodCart, instance: expect.objectContaining({ instanceId: p1 }) }),
        expect.objectContaining({ type: 'instance-deleted', serviceId: cart, instance: expect.objectContaining({ instanceId: c1 }) }),
      ]),
    );
    await viewsConverge(client, sim);
    expect(client.counters()).toMatchObject({ instanceEvents: 3, malformedFrames: 0, consumerRegistrations: 3 });
  });

  it('reuses an existing consumer service instead of registering another', async () => {
    const sim = await startSim();
    sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    const existing = sim.registerService({ appId: 'shop', serviceName: 'my-watcher', version: '1.0.0' });
    const { client, events } = newClient(sim, { consumerServiceName: 'my-watcher' });
    await client.start();
    expect(client.consumers()).toEqual([{ appId: 'shop', environment: '', consumerId: existing, connected: true }]);
    expect(client.counters().consumerRegistrations).toBe(0);
    expect(client.held().services).toBe(1);
    expect(events.some((e) => e.type === 'service-added' && e.serviceId === existing)).toBe(false);
  });

  it('finds a new service name on the next listing; a new version needs no find; removals are reported', async () => {
    const sim = await startSim();
    const cart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    const { client, events } = newClient(sim);
    await client.start();
    const consumerId = client.consumers()[0]?.consumerId ?? '';
    await eventually(() => sim.dependencies(consumerId), (d) => d.length === 1, 2_000, 'first dependency');

    const cartV2 = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '2.0.0' });
    const v2i = sim.registerInstance(cartV2, { hostName: 'cart-v2' });
    await eventually(() => events, (e) => e.some((x) => x.type === 'instance-created' && x.instance.instanceId === v2i), 2_000, 'v2 instance event');

    const search = sim.registerService({ appId: 'shop', serviceName: 'search', version: '1.0.0' });
    await eventually(() => events, (e) => e.some((x) => x.type === 'service-added' && x.serviceId === search), 2_000, 'service-added');
    await eventually(() => sim.dependencies(consumerId), (d) => d.includes('/shop/search'), 2_000, 'dependency on the new name');
    const s1 = sim.registerInstance(search, { hostName: 'search-1' });
    await eventually(() => events, (e) => e.some((x) => x.type === 'instance-created' && x.instance.instanceId === s1), 2_000, 'new name instance event');
    expect(sim.dependencies(consumerId).sort()).toEqual(['/shop/cart', '/shop/search']);

    sim.unregisterService(cart, { force: true });
    await eventually(() => events, (e) => e.some((x) => x.type === 'service-removed' && x.serviceId === cart), 2_000, 'service-removed');
    await viewsConverge(client, sim);
  });

  it('never receives an event for a provider it never found', async () => {
    const sim = await startSim({ dependencyDelayMs: 0 });
    const found = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    const hidden = sim.registerService({ appId: 'shop', serviceName: 'internal', version: '1.0.0' });
    const { client, events } = newClient(sim, { skipService: (s) => s.serviceName === 'internal' });
    await client.start();
    sim.registerInstance(hidden, { hostName: 'hidden-1' });
    sim.setInstanceStatus(hidden, sim.registerInstance(hidden, { hostName: 'hidden-2' }), 'DOWN');
    const marker = sim.registerInstance(found, { hostName: 'marker' });
    await eventually(() => events, (e) => e.some((x) => x.type === 'instance-created' && x.instance.instanceId === marker), 2_000, 'marker event');
    await delay(100);
    expect(events.filter((e) => e.type.startsWith('instance-') && 'serviceName' in e && e.serviceName === 'internal')).toEqual([]);
    expect(client.counters().framesReceived).toBe(1);
    expect(sim.dependencies(client.consumers()[0]?.consumerId ?? '')).toEqual(['/shop/cart']);
  });

  it('counts and skips empty and malformed frames', async () => {
    const sim = await startSim({ dependencyDelayMs: 0 });
    const cart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    const { client, events } = newClient(sim);
    await client.start();
    sim.sendRawFrame('');
    sim.sendRawFrame('this is not json');
    sim.sendRawFrame(JSON.stringify({ action: 'EXPLODE', key: { appId: 'shop', serviceName: 'cart', version: '1' }, instance: { instanceId: 'x' } }));
    sim.sendRawFrame(JSON.stringify({ action: 'CREATE', key: { appId: 'shop', serviceName: 'cart', version: '1' }, instance: {} }));
    const id = sim.registerInstance(cart, { hostName: 'after-garbage' });
    await eventually(() => events, (e) => e.some((x) => x.type === 'instance-created' && x.instance.instanceId === id), 2_000, 'valid event after garbage');
    expect(client.counters()).toMatchObject({ framesReceived: 5, emptyFrames: 1, malformedFrames: 3, instanceEvents: 1 });
  });
});

describe('WatchClient: disturbances', () => {
  it('survives a registry restart: reconnects, re-finds, asks for a resync, and its view matches', async () => {
    const sim = await startSim();
    const cart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    const ledger = sim.registerService({ appId: 'billing', serviceName: 'ledger', version: '1.0.0' });
    const gone = sim.registerInstance(cart, { hostName: 'cart-1' });
    sim.registerInstance(ledger, { hostName: 'ledger-1' });
    const { client, events } = newClient(sim);
    await client.start();
    const restart = sim.restart({ downtimeMs: 150 });
    // changes while the registry is "down" (state survives, events are lost)
    sim.unregisterInstance(cart, gone);
    sim.registerInstance(cart, { hostName: 'cart-2' });
    sim.registerInstance(ledger, { hostName: 'ledger-2' });
    await restart;
    await eventually(
      () => events.filter((e) => e.type === 'resync-needed').map((e) => (e.type === 'resync-needed' ? `${e.appId}:${e.reason}` : '')),
      (r) => r.includes('shop:reconnected') && r.includes('billing:reconnected'),
      4_000,
      'resync-needed per app',
    );
    await viewsConverge(client, sim, 'views equal after restart');
    expect(client.counters().reconnects).toBeGreaterThanOrEqual(2);
    // and events flow again on the new sockets
    const fresh = sim.registerInstance(cart, { hostName: 'cart-3' });
    await eventually(() => events, (e) => e.some((x) => x.type === 'instance-created' && x.instance.instanceId === fresh), 2_000, 'event after restart');
  });

  it('survives dropped sockets and a slow-consumer drop, with the view matching afterwards', async () => {
    const sim = await startSim();
    const cart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    const { client, events } = newClient(sim);
    await client.start();
    for (let round = 0; round < 3; round++) {
      const before = client.counters().resyncs;
      expect(sim.dropSockets()).toBe(1);
      sim.registerInstance(cart, { hostName: `gap-${round}` });
      // one resync per reconnect, once the re-find is done
      await eventually(() => client.counters().resyncs, (n) => n === before + 1, 2_000, `resync after drop ${round}`);
      expect(sim.watcherCount()).toBe(1);
    }
    await viewsConverge(client, sim, 'views equal after drops');
    await eventually(() => sim.dependencies(client.consumers()[0]?.consumerId ?? '').length, (n) => n === 1, 2_000, 'dependency');
    sim.inject({ slowConsumer: { delayMs: 30, maxQueue: 2 } });
    for (let i = 0; i < 10; i++) sim.registerInstance(cart, { hostName: `burst-${i}` });
    await eventually(() => sim.stats().socketsDropped, (n) => n >= 4, 2_000, 'slow consumer dropped');
    sim.clearFaults();
    await viewsConverge(client, sim, 'views equal after the slow-consumer drop');
    expect(events.filter((e) => e.type === 'resync-needed').length).toBeGreaterThanOrEqual(4);
  });

  it('notices its consumer service was deleted, registers it again and resyncs', async () => {
    const sim = await startSim();
    const cart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    const { client, events } = newClient(sim);
    await client.start();
    const first = client.consumers()[0]?.consumerId ?? '';
    sim.unregisterService(first);
    await eventually(() => events, (e) => e.some((x) => x.type === 'resync-needed' && x.reason === 'consumer-missing'), 3_000, 'consumer-missing resync');
    const second = client.consumers()[0]?.consumerId ?? '';
    expect(second).not.toBe(first);
    expect(sim.listServices().some((s) => s['serviceId'] === second)).toBe(true);
    await eventually(() => sim.dependencies(second), (d) => d.includes('/shop/cart'), 2_000, 'new dependency');
    const id = sim.registerInstance(cart, { hostName: 'after-re-register' });
    await eventually(() => events, (e) => e.some((x) => x.type === 'instance-created' && x.instance.instanceId === id), 2_000, 'event to the new consumer');
    expect(client.counters().consumerRegistrations).toBe(2);
  });

  it('reports events missed before the dependency was recorded, through the rev check', async () => {
    const sim = await startSim({ dependencyDelayMs: 400 });
    const cart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    const { client, events } = newClient(sim);
    await client.start();
    const missed = sim.registerInstance(cart, { hostName: 'before-dependency' });
    await eventually(() => events, (e) => e.some((x) => x.type === 'resync-needed' && x.reason === 'missed-events'), 2_000, 'missed-events resync');
    expect(events.some((e) => e.type === 'instance-created' && e.instance.instanceId === missed)).toBe(false);
    // the resync is what brings it to a listener
    expect(clientView(client)[cart]).toContain(missed);
  });

  it('keeps its view when a listing fails (unknown is not empty)', async () => {
    const sim = await startSim();
    const cart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    sim.registerInstance(cart, { hostName: 'cart-1' });
    const { client, events } = newClient(sim);
    await client.start();
    const before = clientView(client);
    sim.inject({ failNext: 4, failPath: '/registry/microservices' });
    await eventually(() => client.counters().listErrors, (n) => n >= 2, 3_000, 'failed listings');
    expect(clientView(client)).toEqual(before);
    expect(events.some((e) => e.type === 'service-removed')).toBe(false);
    sim.clearFaults();
  });

  it('stops cleanly: sockets closed, no timers left', async () => {
    const sim = await startSim();
    sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    const { client } = newClient(sim);
    await client.start();
    expect(sim.watcherCount()).toBe(1);
    await client.stop();
    await eventually(() => sim.watcherCount(), (n) => n === 0, 2_000, 'socket closed');
  });
});

/** A logger whose JSON lines are kept, parsed. */
function capturedLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination: stream }), lines };
}

describe('WatchClient: logging while the registry is down', () => {
  it('says once that the registry is unreachable, then ever more rarely with a count, and once that it is back', async () => {
    const sim = await startSim();
    for (const appId of ['shop', 'billing', 'search']) sim.registerService({ appId, serviceName: `${appId}-svc`, version: '1.0.0' });
    const { logger, lines } = capturedLogger();
    const { client } = newClient(sim, { logger, listIntervalMs: 50, outageLog: { firstRepeatMs: 200, maxRepeatMs: 60_000 } });
    await client.start();
    expect(client.consumers().every((c) => c.connected)).toBe(true);
    const failuresBefore = client.counters().listErrors + client.counters().reconnects;
    await sim.restart({ downtimeMs: 1_500 });
    const isBack = (l: Record<string, unknown>): boolean => String(l['msg']).startsWith('registry reachable again');
    await eventually(() => lines.filter(isBack).length, (n) => n === 1, 4_000, 'back line');
    await eventually(() => client.consumers(), (c) => c.every((x) => x.connected), 4_000, 'reconnected');

    const down = lines.filter((l) => String(l['msg']).startsWith('registry unreachable'));
    expect(down).toEqual([expect.objectContaining({ level: 40, address: sim.baseUrl, cause: 'ECONNREFUSED' })]);
    const again = lines.filter((l) => String(l['msg']).startsWith('registry still unreachable'));
    expect(again.length).toBeGreaterThanOrEqual(1);
    // each reminder waits at least twice as long as the one before
    let at = 0;
    again.forEach((l, k) => {
      expect(l).toMatchObject({ level: 40, address: sim.baseUrl, cause: expect.any(String), failures: expect.any(Number) });
      expect(Number(l['downForMs']) - at).toBeGreaterThanOrEqual(200 * 2 ** k);
      at = Number(l['downForMs']);
    });
    const failures = client.counters().listErrors + client.counters().reconnects - failuresBefore;
    const counted = 1 + again.reduce((n, l) => n + Number(l['failures']), 0);
    expect(counted).toBeLessThanOrEqual(failures + 3 * 2);
    expect(failures).toBeGreaterThan(down.length + again.length);
    const backLine = lines.find(isBack);
    expect(backLine).toMatchObject({ level: 30, address: sim.baseUrl, failures: expect.any(Number) });
    expect(Number(backLine?.['downForMs'])).toBeGreaterThanOrEqual(1_000);
    // no stack traces, and nothing else warned about on every retry
    expect(lines.filter((l) => 'err' in l)).toEqual([]);
    expect(lines.filter((l) => Number(l['level']) >= 40).length).toBe(down.length + again.length);
  });
});

describe('WatchClient: addresses', () => {
  it('fails over to the live registry address for calls and the socket', async () => {
    const sim = await startSim();
    const cart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise((r) => dead.close(r));
    const { client, events } = newClient(sim, { registry: { addresses: [deadUrl, sim.baseUrl], retry: { baseMs: 10, maxMs: 50 } } });
    await client.start();
    expect(client.consumers()[0]?.connected).toBe(true);
    await eventually(() => sim.dependencies(client.consumers()[0]?.consumerId ?? ''), (d) => d.length === 1, 2_000, 'dependency');
    const id = sim.registerInstance(cart, { hostName: 'via-second-address' });
    await eventually(() => events, (e) => e.some((x) => x.type === 'instance-created' && x.instance.instanceId === id), 2_000, 'event');
  });

  it('stops promptly while a call to a registry that never answers is in flight', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const client = new WatchClient({ registry: { addresses: [url], timeoutMs: 30_000 } });
    try {
      const started = client.start();
      await eventually(() => sockets.size, (n) => n > 0, 2_000, 'request sent');
      const t0 = performance.now();
      await client.stop();
      await started;
      expect(performance.now() - t0).toBeLessThan(5_000);
      expect(client.counters().listErrors).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('WatchClient: TLS and token auth', () => {
  const tls = (name: string): string => readFileSync(new URL(`../../lib/registry-simulator/tls/${name}`, import.meta.url), 'utf8');
  let sim: RegistrySimulator;
  beforeAll(async () => {
    sim = await startRegistrySimulator({ dependencyDelayMs: 0, auth: { users: { watcher: 'pw' } }, tls: { key: tls('server-key.pem'), cert: tls('server.pem') } });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('watches over wss with a token, and logs in again when the socket is refused after expiry', async () => {
    const cart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    const { client, events } = newClient(sim, {
      registry: { addresses: [sim.baseUrl], credentials: { name: 'watcher', password: 'pw' }, tls: { ca: tls('ca.pem') }, retry: { baseMs: 10, maxMs: 50 } },
    });
    await client.start();
    expect(client.consumers()[0]?.connected).toBe(true);
    sim.expireTokens();
    sim.dropSockets();
    await eventually(() => events, (e) => e.some((x) => x.type === 'resync-needed'), 3_000, 'reconnected after expiry');
    expect(sim.stats().logins).toBeGreaterThanOrEqual(2);
    const id = sim.registerInstance(cart, { hostName: 'secure-1' });
    await eventually(() => events, (e) => e.some((x) => x.type === 'instance-created' && x.instance.instanceId === id), 2_000, 'event over wss');
  });
});
