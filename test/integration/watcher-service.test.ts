// The watcher in-process against the registry simulator: one message per batch window,
// a lost socket answered with the keys of the whole app, the health rule on a real
// outage, and a stop that sends what is held.
import { describe, it, expect, afterEach } from '@jest/globals';
import { loadConfig, type Sc2meshConfig } from '../../lib/config/index.ts';
import { silentLogger } from '../../lib/log.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';
import { startWatcher, type Watcher, type WatcherOptions } from '../../lib/runtime/watcher-service.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { eventually } from '../../lib/registry-simulator/eventually.ts';
import { RecordingQueue } from '../support/pipeline-harness.ts';

const key = (serviceName: string, appId = 'shop'): string => serviceKeyOf({ environment: '', appId, serviceName });

let sim: RegistrySimulator | undefined;
let watcher: Watcher | undefined;

afterEach(async () => {
  await watcher?.stop();
  await sim?.close();
  watcher = undefined;
  sim = undefined;
});

async function config(registry: RegistrySimulator): Promise<Sc2meshConfig> {
  return loadConfig({ env: { SC2MESH_REGISTRY_ADDRESSES: registry.baseUrl, SC2MESH_REGISTRY_LIST_INTERVAL_MS: '150', SC2MESH_QUEUE_URL: 'http://127.0.0.1:1/000000000000/unused', SC2MESH_SERVER_PORT: '0' } });
}

async function start(queue: RecordingQueue, options: Partial<WatcherOptions> = {}): Promise<Watcher> {
  const registry = sim as RegistrySimulator;
  watcher = await startWatcher(await config(registry), {
    logger: silentLogger,
    queue,
    batchWindowMs: 50,
    watch: { pingIntervalMs: 500, reconnect: { baseMs: 20, maxMs: 100 } },
    ...options,
  });
  return watcher;
}

function seed(registry: RegistrySimulator): { cart: string; stock: string } {
  const cart = registry.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
  const cart2 = registry.registerService({ appId: 'shop', serviceName: 'cart', version: '2.0.0' });
  const stock = registry.registerService({ appId: 'shop', serviceName: 'stock', version: '1.0.0' });
  const ledger = registry.registerService({ appId: 'billing', serviceName: 'ledger', version: '1.0.0' });
  for (const [id, host] of [[cart, 'cart-1'], [cart2, 'cart-2'], [stock, 'stock-1'], [ledger, 'ledger-1']] as const) {
    registry.registerInstance(id, { hostName: host, endpoints: [`rest://10.0.0.${host.length}:8080`] }, { keepAlive: true });
  }
  return { cart, stock };
}

describe('watcher service', () => {
  it('marks every service dirty at start, then sends one message per window with the keys of the events', async () => {
    sim = await startRegistrySimulator({ dependencyDelayMs: 20 });
    const { cart, stock } = seed(sim);
    const queue = new RecordingQueue();
    // a window wide enough that two events sent back to back always share it
    const w = await start(queue, { batchWindowMs: 300 });
    await eventually(() => queue.keys(), (k) => k.length === 3, 3_000, 'the start-up keys');
    expect(queue.sent.map((s) => s.message.reason)).toEqual(['watch']);
    expect(queue.keys()).toEqual([key('ledger', 'billing'), key('cart'), key('stock')].sort());
    expect(w.health()).toMatchObject({ ok: true, details: { status: 'watching', apps: 2, socketsOpen: 2 } });

    queue.clear();
    const t0 = Date.now();
    sim.registerInstance(cart, { hostName: 'cart-3', endpoints: ['rest://10.0.0.9:8080'] }, { keepAlive: true });
    const gone = [...(sim.snapshot().get(stock) ?? [])][0] as string;
    sim.unregisterInstance(stock, gone);
    // (a revision check racing the events may add a 'resync' message; only 'watch' ones count)
    const watchMessages = (): typeof queue.sent => queue.sent.filter((s) => s.message.reason === 'watch');
    await eventually(() => watchMessages().flatMap((s) => s.message.keys), (k) => k.includes(key('cart')) && k.includes(key('stock')), 3_000, 'both events sent');
    // both events fell into one window: one message, its time the oldest event's
    expect(watchMessages()).toHaveLength(1);
    expect(watchMessages()[0]?.message).toMatchObject({ v: 1, reason: 'watch', keys: [key('cart'), key('stock')] });
    expect(watchMessages()[0]?.message.at).toBeGreaterThanOrEqual(t0);
    expect(w.metricsText()).toMatch(/sc2mesh_watch_events_total ([2-9]|\d\d)/);
  });

  it('answers lost sockets with the keys of every service of their apps (reason resync)', async () => {
    sim = await startRegistrySimulator({ dependencyDelayMs: 20 });
    seed(sim);
    const queue = new RecordingQueue();
    const w = await start(queue);
    await eventually(() => queue.keys(), (k) => k.length === 3, 3_000, 'the start-up keys');
    queue.clear();
    expect(sim.dropSockets()).toBe(2);
    // both apps reconnect: their keys come back (one listing may serve both), never the
    // watcher's own consumer services
    const resynced = await eventually(
      () => [...new Set(queue.sent.filter((s) => s.message.reason === 'resync').flatMap((s) => s.message.keys))].sort(),
      (k) => k.length === 3,
      5_000,
      'the keys of both apps',
    );
    expect(resynced).toEqual([key('ledger', 'billing'), key('cart'), key('stock')].sort());
    expect(w.metricsText()).toContain('sc2mesh_watcher_resyncs_total 2');
  });

  it('reports 503 once no socket has been open for the grace period, and 200 again after reconnecting', async () => {
    sim = await startRegistrySimulator({ dependencyDelayMs: 20 });
    seed(sim);
    const w = await start(new RecordingQueue(), { healthGraceMs: 300, healthSampleMs: 20 });
    await eventually(() => w.health(), (h) => h.details['status'] === 'watching', 3_000, 'watching');
    const restarting = sim.restart({ downtimeMs: 1_200 });
    const down = await eventually(() => w.health(), (h) => !h.ok, 2_000, 'unhealthy while the registry is down');
    expect(down.details).toMatchObject({ status: 'disconnected', socketsOpen: 0 });
    expect(down.details['downForMs']).toBeGreaterThan(300);
    await restarting;
    await eventually(() => w.health(), (h) => h.ok && h.details['status'] === 'watching', 5_000, 'healthy after reconnecting');
  });

  it('on stop, sends the keys it holds (a long window is not waited out)', async () => {
    sim = await startRegistrySimulator({ dependencyDelayMs: 20 });
    const { cart } = seed(sim);
    const queue = new RecordingQueue();
    const w = await start(queue, { batchWindowMs: 60_000 });
    await eventually(() => w.pendingKeys(), (n) => n === 3, 3_000, 'the start-up keys held');
    sim.registerInstance(cart, { hostName: 'cart-3', endpoints: ['rest://10.0.0.9:8080'] }, { keepAlive: true });
    await eventually(() => w.metrics.get('watch_events'), (n) => n >= 4, 3_000, 'the instance event received');
    expect(queue.sent).toEqual([]);
    const started = Date.now();
    expect(await w.stop()).toEqual({ unsent: 0 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(queue.sent).toHaveLength(1);
    expect(queue.keys()).toEqual([key('ledger', 'billing'), key('cart'), key('stock')].sort());
    watcher = undefined;
  });

  it('needs a queue URL', async () => {
    sim = await startRegistrySimulator();
    await expect(startWatcher({ ...(await config(sim)), queue: { url: '', name: 'work', region: '', endpoint: '' } }, { logger: silentLogger })).rejects.toThrow(/queue\.url.*SC2MESH_QUEUE_URL/);
  });
});
