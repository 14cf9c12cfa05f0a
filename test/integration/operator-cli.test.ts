// The operator commands as a person uses them beside a running `sc2mesh run`: status,
// diff and resync on the state folder the runner holds (issue 11 items 1, 2, 3, 7, 9),
// against the registry simulator and the validating Kubernetes API server over HTTP.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { loadConfig, type Sc2meshConfig } from '../../lib/config/index.ts';
import { startLocalRunner, type LocalRunner, type RunnerEvent } from '../../lib/runtime/local-runner.ts';
import { startEmbeddedDynalite, HOLDER_FILE } from '../../lib/state/embedded-dynalite.ts';
import { createDynamoStateStore } from '../../lib/state/dynamo-store.ts';
import { EMBEDDED_TABLE } from '../../lib/runtime/build-runtime.ts';
import { silentLogger } from '../../lib/log.ts';
import { runCli } from '../support/run-cli.ts';
import { freePort } from '../support/free-port.ts';

const NS = 'sc2mesh';
let sim: RegistrySimulator;
let kube: KubeApiServer;
const dirs: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  sim = await startRegistrySimulator({ seed: JSON.parse(await readFile('lib/demo/sample-registry.json', 'utf8')) as unknown, dependencyDelayMs: 0 });
  kube = await startKubeApiServer({ namespace: NS });
}, 30_000);

afterAll(async () => {
  await Promise.all([sim?.close(), kube?.close()]);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

beforeEach(() => {
  for (const kind of ['ServiceEntry', 'WorkloadEntry'] as const) for (const o of kube.store.list(kind, NS)) kube.store.delete(kind, NS, (o['metadata'] as { name: string }).name);
});

/** The flags every command of these tests takes: this registry, this cluster, this state folder. */
const target = (stateDir: string): string[] => ['--registry', sim.baseUrl, '--kubeconfig', kube.kubeconfigPath, '--kube-qps', '0', '--state-dir', stateDir];

async function runnerConfig(stateDir: string, port: number): Promise<Sc2meshConfig> {
  return loadConfig({
    env: {},
    flags: {
      'registry.addresses': [sim.baseUrl],
      'registry.listIntervalMs': 300,
      'kube.kubeconfig': kube.kubeconfigPath,
      'kube.qps': 0,
      'state.dir': stateDir,
      'server.port': port,
      'debounce.quietMs': 100,
      'debounce.maxDelayMs': 500,
      // every shard audited by every sync: a fresh cluster would show any false repair at once
      'audit.periodMinutes': 1,
      'log.level': 'silent',
    },
  });
}

function names(kind: 'ServiceEntry' | 'WorkloadEntry'): string[] {
  return kube.store.list(kind, NS).map((o) => (o['metadata'] as { name: string }).name).sort();
}

/** A merge patch through the API server, as `kubectl patch` sends it. */
async function patch(kind: 'workloadentries' | 'serviceentries', name: string, body: unknown): Promise<void> {
  const opts: { headers?: Record<string, string> } = {};
  await kube.kubeConfig.applyToHTTPSOptions(opts);
  const headers = { ...opts.headers, 'content-type': 'application/merge-patch+json' };
  const res = await fetch(`${kube.url}/apis/networking.istio.io/v1/namespaces/${NS}/${kind}/${name}`, { method: 'PATCH', headers, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

describe('status, diff and resync while sc2mesh run holds the state folder (item 1)', () => {
  it('are served by the runner, leave the folder intact, and resync --force works through it', async () => {
    const stateDir = await tempDir('sc2mesh-held-');
    const runner: LocalRunner = await startLocalRunner(await runnerConfig(stateDir, await freePort()), { logger: silentLogger });
    try {
      await runner.flush();
      expect(names('ServiceEntry').length).toBeGreaterThan(0);
      const logBefore = statSync(join(stateDir, 'LOG')).size;
      expect(logBefore).toBeGreaterThan(0);

      const status = await runCli(['status', '--state-dir', stateDir]);
      expect(status.stderr).not.toContain('Database is closed');
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('(from the running sc2mesh run');
      expect(status.stdout).toMatch(/^\d+ services, \d+ objects published/m);

      const clean = await runCli(['diff', ...target(stateDir)]);
      expect(clean.stderr).toContain('runs there');
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain('would write 0 objects');

      const we = names('WorkloadEntry')[0] as string;
      kube.store.delete('WorkloadEntry', NS, we);
      const dirty = await runCli(['diff', ...target(stateDir)]);
      expect(dirty.code).toBe(1);
      expect(dirty.stdout).toContain(`~ apply    WorkloadEntry/${NS}/${we}`);

      const resync = await runCli(['resync', '--force', ...target(stateDir)]);
      expect(resync.code).toBe(0);
      expect(resync.stdout).toContain('wrote 1 objects (1 missing');
      expect(names('WorkloadEntry')).toContain(we);

      // The runner recorded the resync: status (through it again) lists it.
      expect((await runCli(['status', '--state-dir', stateDir])).stdout).toMatch(/^resync\s/m);
      // LevelDB's LOG was not emptied by any of these.
      expect(statSync(join(stateDir, 'LOG')).size).toBeGreaterThanOrEqual(logBefore);
    } finally {
      await runner.stop();
    }
    // Once the runner is gone the folder opens directly again.
    expect(existsSync(join(stateDir, HOLDER_FILE))).toBe(false);
    const after = await runCli(['status', '--state-dir', stateDir]);
    expect(after.code).toBe(0);
    expect(after.stdout).not.toContain('from the running');
  }, 60_000);

  it('says in one line that the folder is in use when the runner serves no ops API', async () => {
    const stateDir = await tempDir('sc2mesh-held-noapi-');
    const runner = await startLocalRunner(await runnerConfig(stateDir, 0), { logger: silentLogger });
    try {
      const diff = await runCli(['diff', ...target(stateDir)]);
      expect(diff.code).toBe(2);
      expect(diff.stderr).toBe(`sc2mesh: state folder ${stateDir} is in use by sc2mesh run (pid ${process.pid}), which serves no ops API (server.port 0); stop it, or restart it with --server-port <port> so diff can run through it\n`);
      const status = await runCli(['status', '--state-dir', stateDir]);
      expect(status.code).toBe(1);
      expect(status.stderr).toMatch(/^sc2mesh: state folder .* is in use by sc2mesh run \(pid \d+\), which serves no ops API/);
      expect(status.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    } finally {
      await runner.stop();
    }
  }, 60_000);
});

describe('diff and resync against what the cluster really holds (items 2, 3)', () => {
  it('diff reports a same-named foreign object as a conflict, as resync does', async () => {
    const stateDir = await tempDir('sc2mesh-conflict-');
    expect((await runCli(['resync', ...target(stateDir)])).code).toBe(0);
    const se = names('ServiceEntry')[0] as string;
    kube.store.delete('ServiceEntry', NS, se);
    kube.store.put({
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: se, namespace: NS, labels: { team: 'payments' } },
      spec: { hosts: ['legacy.example.com'], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 443, name: 'tls-443', protocol: 'TLS' }] },
    });

    const diff = await runCli(['diff', ...target(stateDir)]);
    expect(diff.stdout).not.toContain(`~ apply    ServiceEntry/${NS}/${se}`);
    expect(diff.stdout).toContain(`! conflict ServiceEntry/${NS}/${se}: `);
    expect(diff.stdout).toContain('would write 0 objects (0 missing, 0 changed)');
    expect(diff.stdout).toContain('conflicts 1');
    expect(diff.code).toBe(1);

    const resync = await runCli(['resync', ...target(stateDir)]);
    expect(resync.stdout).toContain(`! conflict ServiceEntry/${NS}/${se}: `);
    expect(resync.stdout).toContain('wrote 0 objects');
    expect(resync.stdout).toContain('conflicts 1');
    expect(resync.code).toBe(1);
    expect((kube.store.get('ServiceEntry', NS, se)?.['spec'] as { hosts: string[] }).hosts).toEqual(['legacy.example.com']);
  }, 60_000);

  it('resync with a fresh state folder restores a hand-patched WorkloadEntry address; diff sees it first', async () => {
    expect((await runCli(['resync', ...target(await tempDir('sc2mesh-first-'))])).code).toBe(0);
    const we = names('WorkloadEntry')[0] as string;
    const address = (kube.store.get('WorkloadEntry', NS, we)?.['spec'] as { address: string }).address;
    await patch('workloadentries', we, { spec: { address: '10.9.9.9' } });

    const fresh = await tempDir('sc2mesh-fresh-');
    const diff = await runCli(['diff', ...target(fresh)]);
    expect(diff.stdout).toContain(`~ apply    WorkloadEntry/${NS}/${we}`);
    expect(diff.stdout).toContain('would write 1 objects (0 missing, 1 changed)');
    expect(diff.code).toBe(1);

    const resync = await runCli(['resync', ...target(fresh)]);
    expect(resync.stdout).toContain('wrote 1 objects (0 missing, 1 changed)');
    expect(resync.code).toBe(0);
    expect((kube.store.get('WorkloadEntry', NS, we)?.['spec'] as { address: string }).address).toBe(address);
    expect((await runCli(['diff', ...target(await tempDir('sc2mesh-fresh2-'))])).code).toBe(0);
  }, 60_000);

  it('resync returns an object to exactly what sc2mesh renders: a field added by hand goes too', async () => {
    expect((await runCli(['resync', ...target(await tempDir('sc2mesh-first-'))])).code).toBe(0);
    const we = names('WorkloadEntry')[0] as string;
    const before = kube.store.get('WorkloadEntry', NS, we)?.['spec'];
    // kubectl patch under its own field manager: server-side apply alone would keep it.
    await patch('workloadentries', we, { spec: { weight: 7 }, metadata: { labels: { 'added-by': 'hand' } } });
    expect((kube.store.get('WorkloadEntry', NS, we)?.['spec'] as { weight?: number }).weight).toBe(7);

    const fresh = await tempDir('sc2mesh-fresh-');
    expect((await runCli(['diff', ...target(fresh)])).stdout).toContain(`~ apply    WorkloadEntry/${NS}/${we}`);
    const resync = await runCli(['resync', ...target(fresh)]);
    expect(resync.stdout).toContain('wrote 1 objects (0 missing, 1 changed)');
    expect(resync.code).toBe(0);
    const after = kube.store.get('WorkloadEntry', NS, we) as { spec: unknown; metadata: { labels: Record<string, string> } };
    expect(after.spec).toEqual(before);
    expect(after.metadata.labels['added-by']).toBeUndefined();
    // Replaced, not patched: and then quiet.
    expect(kube.requestLog.entries.some((e) => e.method === 'PUT' && e.path.endsWith(`/workloadentries/${we}`))).toBe(true);
    expect((await runCli(['diff', ...target(await tempDir('sc2mesh-fresh2-'))])).code).toBe(0);
  }, 60_000);
});

describe('exit codes and one-line errors (item 7)', () => {
  it('diff: 2 when the registry cannot be read, one line naming the address, the cause said once', async () => {
    const stateDir = await tempDir('sc2mesh-noreg-');
    const diff = await runCli(['diff', '--registry', 'http://127.0.0.1:1', '--kubeconfig', kube.kubeconfigPath, '--state-dir', stateDir]);
    expect(diff.code).toBe(2);
    const lines = diff.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sc2mesh: registry http:\/\/127\.0\.0\.1:1 unreadable: .*ECONNREFUSED/);
    expect(lines[0]).not.toMatch(/registry unavailable: registry unavailable/);
    expect(diff.stderr).not.toContain('"level"');
    // a diff writes no state: none was made
    expect(existsSync(join(stateDir, 'CURRENT'))).toBe(false);
  }, 30_000);

  it('diff: 2 for a bad flag value or an unknown flag', async () => {
    const bad = await runCli(['diff', '--max-delete-share', '7', '--state-dir', await tempDir('sc2mesh-badflag-')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-delete-share');
    expect((await runCli(['diff', '--no-such-flag'])).code).toBe(2);
  });

  it('run --once against an unreadable registry exits 1', async () => {
    const out = await tempDir('sc2mesh-once-out-');
    const run = await runCli(['run', '--registry', 'http://127.0.0.1:1', '--once', '--out', out, '--state-dir', await tempDir('sc2mesh-once-state-'), '--server-port', '0', '--log-level', 'silent']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^sc2mesh: run --once did not complete: registry unavailable: .*ECONNREFUSED/m);
    expect(run.stderr).not.toMatch(/registry unavailable: registry unavailable/);
  }, 30_000);

  it('render --help into a reader that closes at once exits quietly', async () => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'bin/sc2mesh.js', 'render', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);
});

describe('status and the sync line (item 9)', () => {
  it('where no state exists, says so and creates nothing', async () => {
    const parent = await tempDir('sc2mesh-nostate-');
    const dir = join(parent, '.sc2mesh', 'state');
    const status = await runCli(['status', '--state-dir', dir]);
    expect(status.code).toBe(1);
    expect(status.stdout).toBe(`no sc2mesh state in ${dir}: sc2mesh run has not run with this state folder (set --state-dir or SC2MESH_STATE_DIR to the one it uses)\n`);
    expect(existsSync(join(parent, '.sc2mesh'))).toBe(false);
  });

  it('lists runs of every kind with their skip reasons and conflicts', async () => {
    const dir = await tempDir('sc2mesh-runs-');
    const db = await startEmbeddedDynalite({ tableName: EMBEDDED_TABLE, path: dir });
    try {
      const state = createDynamoStateStore({ client: db.client, tableName: EMBEDDED_TABLE, logger: silentLogger });
      const now = Date.now();
      await state.recordRun({ id: 'p1', kind: 'push', startedAt: now - 2000, finishedAt: now - 1900, outcome: 'partial', counts: { services: 2, applied: 3, conflicts: 1, skipped: 1 }, message: 'skipped /shop/cart (instance i-9: endpoint "rest://:x" unparseable); conflict ServiceEntry/mesh/cart-shop-1' });
      await state.recordRun({ id: 's1', kind: 'sync', startedAt: now - 1000, finishedAt: now - 990, outcome: 'ok', counts: { services: 6, dirty: 1 } });
      await state.recordRun({ id: 'r1', kind: 'resync', startedAt: now - 500, finishedAt: now - 400, outcome: 'ok', counts: { checked: 9 } });
    } finally {
      await db.close();
    }
    const status = await runCli(['status', '--state-dir', dir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^push\s.*partial.*conflicts=1.*skipped=1/m);
    expect(status.stdout).toMatch(/^sync\s/m);
    expect(status.stdout).toMatch(/^resync\s/m);
    expect(status.stdout).toContain('push partial: skipped /shop/cart (instance i-9: endpoint "rest://:x" unparseable); conflict ServiceEntry/mesh/cart-shop-1');
  }, 30_000);

  it('the sync counts only publishable services, and a fresh cluster is not "repaired" by the audit', async () => {
    const stateDir = await tempDir('sc2mesh-count-');
    const events: RunnerEvent[] = [];
    const runner = await startLocalRunner(await runnerConfig(stateDir, 0), { logger: silentLogger, onEvent: (e) => events.push(e) });
    try {
      await runner.flush();
      const first = events.find((e) => e.type === 'sync');
      if (first?.type !== 'sync') throw new Error('no sync event');
      // The sample holds 7 services of its own plus SERVICECENTER; the runner's watch
      // client has registered its consumer services too by now.
      const watcher = sim.listServices().filter((s) => s['serviceName'] === 'sc2mesh-watcher');
      const real = new Set(sim.listServices().filter((s) => s['serviceName'] !== 'SERVICECENTER' && s['serviceName'] !== 'sc2mesh-watcher').map((s) => `${String(s['environment'] ?? '')}/${String(s['appId'])}/${String(s['serviceName'])}`));
      expect(watcher.length).toBeGreaterThan(0);
      expect(first.report.sync.services).toBe(real.size);
      expect(first.report.sync.dirty.length).toBeGreaterThan(0);
      expect(first.report.audit?.applied).toBe(0);
      // The next sync, with everything pushed, counts the same and repairs nothing.
      const second = await runner.syncNow();
      expect(second?.sync.services).toBe(real.size);
      expect(second?.audit?.applied).toBe(0);
    } finally {
      await runner.stop();
    }
  }, 60_000);
});

describe('npm run -s sc2mesh -- run as a service (item 9)', () => {
  it('SIGTERM to npm stops the sc2mesh process too', async () => {
    const stateDir = await tempDir('sc2mesh-npm-state-');
    const out = await tempDir('sc2mesh-npm-out-');
    const npm = spawn('npm', ['run', '-s', 'sc2mesh', '--', 'run', '--registry', sim.baseUrl, '--out', out, '--state-dir', stateDir, '--server-port', '0', '--log-level', 'silent'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    npm.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const npmExit = new Promise<void>((resolve) => npm.on('exit', () => resolve()));
    const until = async (ok: () => boolean, ms: number): Promise<boolean> => {
      const deadline = Date.now() + ms;
      while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return ok();
    };
    let pid: number | undefined;
    try {
      expect(await until(() => stderr.includes('sc2mesh: running against'), 30_000)).toBe(true);
      pid = (JSON.parse(await readFile(join(stateDir, HOLDER_FILE), 'utf8')) as { pid: number }).pid;
      expect(pid).not.toBe(npm.pid);
      npm.kill('SIGTERM');
      await npmExit;
      const alive = (): boolean => {
        try {
          process.kill(pid as number, 0);
          return true;
        } catch {
          return false;
        }
      };
      expect(await until(() => !alive(), 15_000)).toBe(true);
      expect(stderr).toContain('sc2mesh: stopping');
    } finally {
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone, as it should be
        }
      }
      npm.kill('SIGKILL');
    }
  }, 60_000);
});
