// deploy/grafana/sc2mesh-dashboard.json asks only for metrics that exist: every metric name
// in every panel's PromQL (and in the template variables' queries) must be a series that a
// real /metrics serves, of a running `sc2mesh run` (the local runner) or of the watcher
// container's entry point (watcher/main.ts as a process). A series is what a sample line
// names, checked against its family's # TYPE: a histogram serves only _bucket, _sum and
// _count, a summary its own name (the quantiles), _sum and _count.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { eventually } from '../../lib/registry-simulator/eventually.ts';
import { loadConfig } from '../../lib/config/index.ts';
import { startLocalRunner } from '../../lib/runtime/local-runner.ts';
import { silentLogger } from '../../lib/log.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { startSqsFake, type SqsFake } from '../support/sqs-fake/server.ts';
import { freePort } from '../support/free-port.ts';

const DASHBOARD = 'deploy/grafana/sc2mesh-dashboard.json';
const QUEUE = 'sc2mesh-dashboard-work';

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query?: string } }[] };
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'atan2', 'inf', 'nan']);

/** The metric names a PromQL expression selects (Grafana's $variables allowed). */
function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?\w+/g, ' ')
    .replace(/@\s*(?:\d+(?:\.\d+)?|start\(\)|end\(\))/g, ' ')
    .replace(/\$\{?\w+(?::\w+)?\}?/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = stripped.slice((m.index ?? 0) + m[0].length);
    if (/^\s*\(/.test(rest) || PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

function panelsOf(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...panelsOf(p.panels ?? [])]);
}

/** Every series name the dashboard's queries use, with where. */
function usedNames(dashboard: Dashboard): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const note = (name: string, where: string): void => void used.set(name, [...(used.get(name) ?? []), where]);
  for (const p of panelsOf(dashboard.panels)) for (const t of p.targets ?? []) for (const n of metricNamesOf(t.expr ?? '')) note(n, `${p.title}/${t.refId ?? '?'}`);
  for (const v of dashboard.templating.list) {
    const query = typeof v.query === 'string' ? v.query : v.query?.query;
    if (v.type !== 'query' || query === undefined) continue;
    const labelValues = /^\s*label_values\(\s*(.+),\s*\w+\s*\)\s*$/.exec(query);
    for (const n of metricNamesOf(labelValues?.[1] ?? query)) note(n, `variable ${v.name}`);
  }
  return used;
}

const SERIES_OF: Record<string, (family: string) => string[]> = {
  counter: (f) => [f],
  gauge: (f) => [f],
  untyped: (f) => [f],
  summary: (f) => [f, `${f}_sum`, `${f}_count`],
  histogram: (f) => [`${f}_bucket`, `${f}_sum`, `${f}_count`],
};

/** The series a Prometheus text exposition serves; throws on a sample of no declared family. */
function servedSeries(text: string): Set<string> {
  const allowed = new Map<string, string>();
  const samples = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) {
      const series = SERIES_OF[type[2] ?? ''];
      if (series === undefined) throw new Error(`unknown metric type: ${line}`);
      for (const s of series(type[1] ?? '')) allowed.set(s, type[1] ?? '');
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)?.[1];
    if (name === undefined) throw new Error(`not a sample line: ${line}`);
    samples.add(name);
  }
  const undeclared = [...samples].filter((s) => !allowed.has(s));
  if (undeclared.length > 0) throw new Error(`samples without a # TYPE of their family: ${undeclared.join(', ')}`);
  return samples;
}

describe('metricNamesOf', () => {
  it('finds the selected series, not functions, labels, strings, ranges or variables', () => {
    expect(metricNamesOf('histogram_quantile(0.99, sum by (le, instance) (rate(x_seconds_bucket{job=~"$job", le!="+Inf"}[$__rate_interval])))')).toEqual(['x_seconds_bucket']);
    expect(metricNamesOf('a_total / on(instance) group_left(version) b_info offset 5m')).toEqual(['a_total', 'b_info']);
    expect(metricNamesOf('sum(c{quantile="0.99"}) or vector(0) * 1e3 + d[5m:30s]')).toEqual(['c', 'd']);
    expect(metricNamesOf('max without (pod) (e) > bool 2')).toEqual(['e']);
  });
});

describe(DASHBOARD, () => {
  let dashboard: Dashboard;
  let sim: RegistrySimulator;
  let kube: KubeApiServer;
  let sqs: SqsFake;
  let stateDir: string;
  let watcher: ChildProcess | undefined;
  let watcherOutput = '';

  beforeAll(async () => {
    dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
    [sim, kube, sqs] = await Promise.all([
      startRegistrySimulator({ seed: JSON.parse(await readFile('lib/demo/sample-registry.json', 'utf8')) as unknown, dependencyDelayMs: 20 }),
      startKubeApiServer({ namespace: 'sc2mesh' }),
      startSqsFake({ queues: [QUEUE] }),
    ]);
    stateDir = await mkdtemp(join(tmpdir(), 'sc2mesh-dashboard-'));
  }, 30_000);

  afterAll(async () => {
    if (watcher !== undefined && watcher.exitCode === null && watcher.signalCode === null) watcher.kill('SIGKILL');
    await Promise.all([sim?.close(), kube?.close(), sqs?.close()]);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('is a dashboard whose panels all query the chosen Prometheus data source', () => {
    const panels = panelsOf(dashboard.panels);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels.filter((x) => x.type !== 'row')) {
      expect({ panel: p.title, datasource: p.datasource?.uid, targets: (p.targets ?? []).length > 0 }).toEqual({ panel: p.title, datasource: '${datasource}', targets: true });
      for (const t of p.targets ?? []) expect({ panel: p.title, refId: typeof t.refId, datasource: t.datasource?.uid }).toEqual({ panel: p.title, refId: 'string', datasource: '${datasource}' });
    }
    // What the issue asks the dashboard to show, one series each at least.
    const used = usedNames(dashboard);
    for (const needed of [
      'sc2mesh_push_latency_ms',
      'sc2mesh_objects_applied_total',
      'sc2mesh_services_failed_total',
      'sc2mesh_deletions_refused_total',
      'sc2mesh_pending_keys',
      'sc2mesh_watcher_pending_keys',
      'sc2mesh_last_sync_duration_ms',
      'sc2mesh_watch_events_total',
      'sc2mesh_watch_reconnects_total',
      'sc2mesh_registry_unavailable_total',
    ]) {
      expect({ needed, used: used.has(needed) }).toEqual({ needed, used: true });
    }
  });

  it('uses only metrics that the /metrics of `sc2mesh run` and of the watcher serve', async () => {
    const runnerPort = await freePort();
    const config = await loadConfig({
      env: {},
      flags: {
        'registry.addresses': [sim.baseUrl],
        'registry.listIntervalMs': 300,
        'kube.kubeconfig': kube.kubeconfigPath,
        'kube.qps': 0,
        'state.dir': stateDir,
        'server.host': '127.0.0.1',
        'server.port': runnerPort,
        'debounce.quietMs': 100,
        'log.level': 'silent',
      },
    });
    const runner = await startLocalRunner(config, { logger: silentLogger, periodicSync: false });
    let runnerText: string;
    try {
      // A push has happened, so the latency summary serves its quantiles too.
      await runner.flush();
      runnerText = await (await fetch(`${runner.opsUrl ?? ''}/metrics`)).text();
    } finally {
      await runner.stop();
    }

    const watcherPort = await freePort();
    watcher = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'watcher/main.ts'], {
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_REGION: 'eu-west-1',
        POWERTOOLS_METRICS_DISABLED: 'true',
        SC2MESH_REGISTRY_ADDRESSES: sim.baseUrl,
        SC2MESH_REGISTRY_LIST_INTERVAL_MS: '200',
        SC2MESH_QUEUE_URL: sqs.queueUrl(QUEUE),
        SC2MESH_QUEUE_ENDPOINT: sqs.endpoint,
        SC2MESH_SERVER_PORT: String(watcherPort),
        SC2MESH_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    watcher.stdout?.on('data', (c: Buffer) => (watcherOutput += c.toString()));
    watcher.stderr?.on('data', (c: Buffer) => (watcherOutput += c.toString()));
    const watcherUrl = `http://127.0.0.1:${watcherPort}`;
    const watching = async (): Promise<boolean> => {
      try {
        const res = await fetch(`${watcherUrl}/healthz`);
        return res.status === 200 && ((await res.json()) as { status?: string }).status === 'watching';
      } catch {
        return false;
      }
    };
    await eventually(watching, (w) => w, 15_000, `the watcher watching (output: ${watcherOutput.slice(-500)})`);
    const watcherText = await (await fetch(`${watcherUrl}/metrics`)).text();
    const exited = new Promise((resolve) => watcher?.once('exit', resolve));
    watcher.kill('SIGTERM');
    await exited;

    const served = new Set([...servedSeries(runnerText), ...servedSeries(watcherText)]);
    const used = usedNames(dashboard);
    expect(used.size).toBeGreaterThan(15);
    const missing = [...used].filter(([name]) => !served.has(name)).map(([name, where]) => `${name} (${where.join(', ')})`);
    expect(missing).toEqual([]);
  }, 60_000);
});
