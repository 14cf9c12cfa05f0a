// `sc2mesh run` end to end: registry simulator → the local runner → the validating
// Kubernetes API server through the real client; a stop and a restart lose nothing.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { loadConfig, type Sc2meshConfig } from '../../lib/config/index.ts';
import { startLocalRunner, type LocalRunner } from '../../lib/runtime/local-runner.ts';
import { parseGovernDump } from '../../lib/model/govern-dump.ts';
import { renderRegistry } from '../../lib/render/render-registry.ts';
import { silentLogger } from '../../lib/log.ts';
import { main } from '../../lib/cli/main.ts';
import { freePort } from '../support/free-port.ts';
import { createServer } from 'node:net';

let sim: RegistrySimulator;
let kube: KubeApiServer;
let stateDir: string;
let config: Sc2meshConfig;

beforeAll(async () => {
  sim = await startRegistrySimulator({ seed: JSON.parse(await readFile('lib/demo/sample-registry.json', 'utf8')) as unknown, dependencyDelayMs: 20 });
  kube = await startKubeApiServer({ namespace: 'sc2mesh' });
  stateDir = await mkdtemp(join(tmpdir(), 'sc2mesh-run-'));
  config = await loadConfig({
    env: {},
    flags: {
      'registry.addresses': [sim.baseUrl],
      'registry.listIntervalMs': 300,
      'kube.kubeconfig': kube.kubeconfigPath,
      'kube.qps': 0,
      'state.dir': stateDir,
      'server.port': 0,
      'debounce.quietMs': 200,
      'debounce.maxDelayMs': 1000,
      'log.level': 'silent',
    },
  });
}, 30_000);

afterAll(async () => {
  await Promise.all([sim?.close(), kube?.close()]);
  await rm(stateDir, { recursive: true, force: true });
});

/** name → spec of every ServiceEntry and WorkloadEntry: in the cluster, and as the registry says it should be. */
function clusterView(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kind of ['ServiceEntry', 'WorkloadEntry'] as const) for (const o of kube.store.list(kind, 'sc2mesh')) out[`${kind}/${(o['metadata'] as { name: string }).name}`] = o['spec'];
  return out;
}
function registryView(): Record<string, unknown> {
  const { services } = parseGovernDump({ allServicesDetail: sim.governDump() });
  const out: Record<string, unknown> = {};
  for (const o of renderRegistry(services, config.render).objects) out[`${o.kind}/${o.metadata.name}`] = JSON.parse(JSON.stringify(o.spec)) as unknown;
  return out;
}
/** Key-order-independent JSON (the API server stores keys in its own order). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
}
const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

async function converged(timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (same(clusterView(), registryView())) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(clusterView()).toEqual(registryView());
}

describe('sc2mesh run (local runner)', () => {
  it('publishes the registry, follows changes, and loses nothing across a stop and a restart', async () => {
    let runner: LocalRunner = await startLocalRunner(config, { logger: silentLogger });
    try {
      await runner.flush();
      await converged();
      expect(kube.store.count('ServiceEntry')).toBe(6);

      const ordersId = (sim.listServices().find((s) => s['serviceName'] === 'orders' && s['version'] === '1.1.0') as { serviceId: string }).serviceId;
      const added = sim.registerInstance(ordersId, { hostName: 'o-7', endpoints: ['rest://10.0.1.77:8080'], status: 'UP' }, { keepAlive: true });
      await converged();

      await runner.stop();
      // While sc2mesh is down, the registry changes: nothing of it may be lost.
      sim.unregisterInstance(ordersId, added);
      const ledgerId = (sim.listServices().find((s) => s['serviceName'] === 'ledger') as { serviceId: string }).serviceId;
      sim.registerInstance(ledgerId, { hostName: 'l-9', endpoints: ['highway://10.1.0.99:7070'], status: 'UP' }, { keepAlive: true });
      expect(same(clusterView(), registryView())).toBe(false);

      runner = await startLocalRunner(config, { logger: silentLogger });
      await runner.flush();
      await converged();

      // Nothing changed since: a sync makes no Kubernetes write.
      kube.requestLog.clear();
      await runner.syncNow();
      await runner.flush();
      expect(kube.requestLog.mutating()).toHaveLength(0);
    } finally {
      await runner.stop();
    }
  }, 60_000);

  it('serves /healthz and /metrics', async () => {
    const port = await freePort();
    const runner = await startLocalRunner({ ...config, server: { host: '127.0.0.1', port } }, { logger: silentLogger });
    try {
      expect(runner.opsUrl).toBe(`http://127.0.0.1:${port}`);
      expect((await fetch(`${runner.opsUrl}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${runner.opsUrl}/metrics`)).text()).toContain('sc2mesh_syncs_total');
    } finally {
      await runner.stop();
    }
  }, 30_000);

  it('fails its start in one sentence when the ops port is taken, and leaves the state folder free', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      await expect(startLocalRunner({ ...config, server: { host: '127.0.0.1', port } }, { logger: silentLogger })).rejects.toThrow(`server.port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
    // Nothing of the failed start still holds the folder: a runner opens it at once.
    const runner = await startLocalRunner(config, { logger: silentLogger, watch: false, periodicSync: false });
    await runner.stop();
  }, 30_000);
});

describe('sc2mesh demo', () => {
  it('runs the scripted changes, reports each latency, and leaves valid manifests', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sc2mesh-demo-test-'));
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (c: Buffer) => (text += c.toString()));
    try {
      const code = await main(['demo', '--out', out, '--json'], { stdout, stderr: new PassThrough() });
      expect(code).toBe(0);
      const summary = JSON.parse(text) as { ok: boolean; steps: { name: string; ok: boolean; latencyMs: number }[]; problems: string[]; manifests: number };
      expect(summary.ok).toBe(true);
      expect(summary.steps.map((s) => s.name)).toEqual(['scale up', 'instance DOWN', 'heartbeat expired', 'new version', 'scale down', 'retry rule', 'fault rule', 'load-balance rule']);
      for (const s of summary.steps) {
        expect(s.ok).toBe(true);
        expect(s.latencyMs).toBeGreaterThan(0);
      }
      expect(summary.problems).toEqual([]);
      expect(summary.manifests).toBeGreaterThan(15);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);
});
