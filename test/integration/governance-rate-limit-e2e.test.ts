// Rate limiting end to end: a rate-limiting rule written to the registry simulator's
// governance API becomes a local rate-limit EnvoyFilter in the mesh root namespace
// (governance.rateLimitNamespace, istio-system) of the validating API server after one sync
// of the local runner, written at v1alpha3 and checked against its CRD on the way in; the
// rule changed, the filter follows; deleted, the filter goes. `diff` shows it before it is
// written, and a same-named EnvoyFilter sc2mesh does not own as a conflict; EnvoyFilters
// of others in istio-system are never written to. Turned off, the next push prunes the
// filter through the real writer, which then no longer lists EnvoyFilters.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { managedKinds, type Sc2meshConfig } from '../../lib/config/index.ts';
import { KubeClusterWriter } from '../../lib/kube/writer.ts';
import { GOVERNANCE_RULES_ANNOTATION } from '../../lib/governance/objects.ts';
import { silentLogger } from '../../lib/log.ts';
import { ENVOY_FILTER_API_VERSION } from '../../lib/model/istio.ts';
import { MANAGED_BY_LABEL, SERVICE_LABEL, SOURCE_LABEL } from '../../lib/model/ownership.ts';
import type { RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { startLocalRunner, type LocalRunner } from '../../lib/runtime/local-runner.ts';
import { pushServices } from '../../lib/pipeline/push.ts';
import { memoryPipeline } from '../support/memory-cluster.ts';
import { group, rule, type RawRule } from '../support/governance-rules.ts';
import { detail, instance, service } from '../support/registry-builders.ts';
import type { GovernanceKind } from '../../lib/governance/kinds.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';
import type { KubeApiServer } from '../support/kube-api-server/index.ts';
import { governanceRequest, startRunnerFixture, type RunnerFixture } from '../support/e2e/runner-fixture.ts';
import { runCli } from '../support/run-cli.ts';

const NS = 'sc2mesh';
const ROOT = 'istio-system';
const SHOP = { app: 'shop', environment: 'production' };

let fixture: RunnerFixture;
let sim: RegistrySimulator;
let kube: KubeApiServer;
let stateDir: string;
let config: Sc2meshConfig;

beforeAll(async () => {
  fixture = await startRunnerFixture({ name: 'rate-limit', flags: { 'governance.enabled': true, 'governance.rateLimiting': true } });
  ({ sim, kube, stateDir, config } = fixture);
}, 30_000);

afterAll(async () => {
  await fixture?.close();
});

const gov = (method: string, path: string, body?: unknown): Promise<unknown> => governanceRequest(sim, method, path, body);

interface StoredFilter {
  apiVersion: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { configPatches: { applyTo: string; patch: { value: unknown } }[] };
}

const filters = (): StoredFilter[] => kube.store.list('EnvoyFilter', ROOT) as unknown as StoredFilter[];
const ours = (): StoredFilter[] => filters().filter((f) => f.metadata.labels?.[MANAGED_BY_LABEL] === 'sc2mesh');
/** The token bucket's size in the filter's per-route config. */
const maxTokens = (f: StoredFilter | undefined): number | undefined => {
  const route = f?.spec.configPatches.find((c) => c.applyTo === 'HTTP_ROUTE');
  const match = JSON.stringify(route?.patch.value ?? {}).match(/"max_tokens":(\d+)/);
  return match === null ? undefined : Number(match[1]);
};

const foreign = (name: string) => ({
  apiVersion: ENVOY_FILTER_API_VERSION,
  kind: 'EnvoyFilter',
  metadata: { name, namespace: ROOT, labels: { team: 'edge' } },
  spec: { configPatches: [{ applyTo: 'HTTP_FILTER', match: { context: 'SIDECAR_INBOUND' }, patch: { operation: 'INSERT_BEFORE', value: { name: 'edge.lua' } } }] },
});

async function syncAndPush(runner: LocalRunner): Promise<void> {
  await runner.syncNow();
  await runner.flush();
}

describe('rate limiting through the local runner', () => {
  it('diff shows the EnvoyFilter before it is written; one sync writes it to istio-system; it follows its rule and goes with it; foreign ones stay', async () => {
    kube.store.put(foreign('edge-limits'));
    const edgeBefore = JSON.stringify(kube.store.get('EnvoyFilter', ROOT, 'edge-limits'));
    const target = ['--registry', sim.baseUrl, '--kubeconfig', kube.kubeconfigPath, '--kube-qps', '0', '--state-dir', stateDir, '--governance-enabled', '--governance-rate-limiting'];

    // Published without rules first, so the diffs below show governance's objects alone.
    let runner = await startLocalRunner(config, { logger: silentLogger, watch: false, periodicSync: false });
    await runner.flush();
    await runner.stop();
    expect(kube.store.count('ServiceEntry')).toBe(6);
    expect(ours()).toEqual([]);

    // A limit of 100 per second on orders' /api calls.
    await gov('POST', '/match-group', { name: 'orders-api', selector: SHOP, spec: { alias: 'orders-api', matches: [{ name: 'api', apiPath: { prefix: '/api' } }] } });
    const limitId = ((await gov('POST', '/rate-limiting', { name: 'orders-api', selector: SHOP, spec: { rate: 100, services: 'orders' } })) as { id: string }).id;

    kube.requestLog.clear();
    const diff = await runCli(['diff', ...target]);
    expect(diff.code).toBe(1);
    const filterLine = diff.stdout.split('\n').find((l) => l.startsWith('~ apply    EnvoyFilter/'));
    expect(filterLine).toMatch(/^~ apply {4}EnvoyFilter\/istio-system\/orders-/);
    expect(diff.stdout).toMatch(/~ apply {4}VirtualService\/sc2mesh\/orders-/);
    expect(diff.stdout).not.toContain('edge-limits');
    // The full read lists EnvoyFilters at their own version, in their own namespace.
    expect(kube.requestLog.entries.some((e) => e.method === 'GET' && e.path.startsWith(`/apis/networking.istio.io/v1alpha3/namespaces/${ROOT}/envoyfilters`))).toBe(true);
    expect(kube.requestLog.mutating()).toEqual([]);
    const name = filterLine?.split('/')[2] as string;

    // A same-named EnvoyFilter someone else owns: the diff names the conflict (read in full, at v1alpha3).
    kube.store.put(foreign(name));
    const clash = await runCli(['diff', ...target]);
    expect(clash.stdout).toContain(`! conflict EnvoyFilter/${ROOT}/${name}`);
    expect(kube.store.delete('EnvoyFilter', ROOT, name)).toBe(true);

    runner = await startLocalRunner(config, { logger: silentLogger, watch: false, periodicSync: false });
    try {
      await syncAndPush(runner);
      const [filter] = ours();
      expect(filter?.metadata.name).toBe(name);
      expect(filter?.apiVersion).toBe('networking.istio.io/v1alpha3');
      expect(filter?.metadata.labels?.[SOURCE_LABEL]).toBe(config.render.source);
      expect(filter?.metadata.labels?.[SERVICE_LABEL]).toBe(name);
      expect(filter?.metadata.annotations?.[GOVERNANCE_RULES_ANNOTATION]).toBe('match-group/orders-api,rate-limiting/orders-api');
      expect(maxTokens(filter)).toBe(100);
      // Written through the API server's CRD checks (schema and CEL), at its own path.
      expect(kube.requestLog.mutating().map((e) => e.objectPath)).toContain(`/apis/networking.istio.io/v1alpha3/namespaces/${ROOT}/envoyfilters/${name}`);

      // Nothing changed: a sync writes nothing.
      kube.requestLog.clear();
      await syncAndPush(runner);
      expect(kube.requestLog.mutating()).toHaveLength(0);

      // The rule changed: the filter follows within one sync.
      await gov('PUT', `/rate-limiting/${limitId}`, { spec: { rate: 7, services: 'orders' } });
      await syncAndPush(runner);
      expect(maxTokens(ours()[0])).toBe(7);

      // The rule deleted: the filter goes, the service stays published.
      await gov('DELETE', `/rate-limiting/${limitId}`);
      await syncAndPush(runner);
      expect(ours()).toEqual([]);
      expect(kube.store.count('ServiceEntry')).toBe(6);

      expect(JSON.stringify(kube.store.get('EnvoyFilter', ROOT, 'edge-limits'))).toBe(edgeBefore);
      expect(kube.requestLog.entries.filter((e) => e.path.endsWith('/envoyfilters/edge-limits') && e.method !== 'GET')).toEqual([]);
    } finally {
      await runner.stop();
    }
  }, 90_000);
});

describe('rate limiting turned off', () => {
  it('the next push of the service prunes its EnvoyFilter, though the writer no longer lists EnvoyFilters', async () => {
    const p = memoryPipeline({ render: { namespace: NS, source: 'turned-off' } });
    // A service of its own: the runner above published orders under another source, whose names sc2mesh would not write over.
    p.registry.details = [detail(service({ serviceName: 'invoices', environment: 'production' }), [instance({ endpoints: ['rest://10.0.0.1:8080'] })])];
    const lists: Partial<Record<GovernanceKind, RawRule[]>> = {};
    for (const raw of [group('api', [{ apiPath: { prefix: '/api' } }]), rule('rate-limiting', 'api', { rate: 10 })]) (lists[raw.kind] ??= []).push(raw);
    p.registry.governance = { lists, unavailable: [] };
    const key = serviceKeyOf({ environment: 'production', appId: 'shop', serviceName: 'invoices' });
    // The writer as the runtime builds it (managedKinds), with the EnvoyFilters' namespace
    // open to it for deleting also once rate limiting is off.
    const writerFor = (rateLimiting: boolean): KubeClusterWriter =>
      new KubeClusterWriter({
        kubeConfig: kube.kubeConfig,
        namespace: NS,
        source: 'turned-off',
        kinds: managedKinds({ render: p.render, governance: { enabled: true, rateLimiting } }),
        namespacesByKind: { EnvoyFilter: [ROOT] },
        rateLimit: false,
      });
    const mine = (): string[] => filters().filter((f) => f.metadata.labels?.[SOURCE_LABEL] === 'turned-off').map((f) => f.metadata.name);

    const on = await pushServices([key], { ...p, cluster: writerFor(true), governance: { enabled: true, rateLimiting: true, rateLimitNamespace: ROOT } }, 'on');
    expect(on.results[0]).toMatchObject({ outcome: 'pushed' });
    expect(mine()).toHaveLength(1);

    const off = writerFor(false);
    expect(off.kinds).not.toContain('EnvoyFilter');
    const report = await pushServices([key], { ...p, cluster: off, governance: { enabled: true, rateLimiting: false, rateLimitNamespace: ROOT } }, 'off');
    expect(report.results[0]).toMatchObject({ outcome: 'pushed' });
    expect(mine()).toEqual([]);
    expect(Object.keys((await p.state.getService(key))?.objects ?? {}).filter((k) => k.startsWith('EnvoyFilter/'))).toEqual([]);
  }, 30_000);
});
