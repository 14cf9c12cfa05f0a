// The rate-limit EnvoyFilter in the pipeline, on memory state and an in-memory cluster that
// lists the kinds a writer would (managedKinds): it is one of its service's objects in
// governance.rateLimitNamespace, written by the push the sync asks for, changed and pruned
// with its rule, repaired by the audit, shown by a dry run, never written over when a
// foreign one holds its name, and pruned once rate limiting or governance is turned off,
// although the cluster then no longer lists the kind.
import { beforeEach, describe, expect, it } from '@jest/globals';
import { group, rule, type RawRule } from '../../test/support/governance-rules.ts';
import { memoryPipeline, type MemoryPipeline } from '../../test/support/memory-cluster.ts';
import { detail, instance, service } from '../../test/support/registry-builders.ts';
import type { GovernanceKind } from '../governance/kinds.ts';
import { ENVOY_FILTER_API_VERSION, type EnvoyFilter, type IstioKind, type IstioObject } from '../model/istio.ts';
import { SERVICE_LABEL } from '../model/ownership.ts';
import { serviceKeyOf } from '../names/service-names.ts';
import { pushServices } from './push.ts';
import { reconcile } from './reconcile.ts';
import { runResync } from './resync.ts';
import { syncOnce } from './sync.ts';

const ORDERS = serviceKeyOf({ environment: 'production', appId: 'shop', serviceName: 'orders' });
const ROOT = 'mesh-root';
/** What managedKinds gives with governance and rate limiting on, and with rate limiting off. */
const WITH_RATE_LIMITS: IstioKind[] = ['ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService', 'EnvoyFilter'];
const WITHOUT_RATE_LIMITS: IstioKind[] = ['ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService'];
const WITHOUT_GOVERNANCE: IstioKind[] = ['ServiceEntry', 'WorkloadEntry'];

const limitRules = (rate: number): RawRule[] => [group('api', [{ apiPath: { prefix: '/api' } }]), rule('rate-limiting', 'api', { rate })];

function setRules(p: MemoryPipeline, raws: readonly RawRule[]): void {
  const lists: Partial<Record<GovernanceKind, RawRule[]>> = {};
  for (const raw of raws) (lists[raw.kind] ??= []).push(raw);
  p.registry.governance = { lists, unavailable: [] };
}

let p: MemoryPipeline;
beforeEach(() => {
  p = memoryPipeline({ render: { namespace: 'mesh' }, kinds: WITH_RATE_LIMITS });
  p.governance = { enabled: true, rateLimiting: true, rateLimitNamespace: ROOT };
  p.registry.details = [detail(service({ serviceName: 'orders', environment: 'production', serviceId: 'orders-1' }), [instance({ instanceId: 'o-1', endpoints: ['rest://10.0.0.1:8080'] })])];
});

async function syncAndPush(): Promise<string[]> {
  p.queue.sent.length = 0;
  const report = await syncOnce(p, 'sync');
  if (report.dirty.length > 0) {
    const push = await pushServices(report.dirty, p, 'push');
    expect(push.failedKeys).toEqual([]);
  }
  return report.dirty;
}

const filterKeys = (): string[] => p.cluster.keys('EnvoyFilter');
const theFilter = (): EnvoyFilter => {
  const [key] = filterKeys();
  const o = key === undefined ? undefined : p.cluster.get(key);
  if (o?.kind !== 'EnvoyFilter') throw new Error(`no EnvoyFilter; cluster holds ${p.cluster.keys().join(', ')}`);
  return o;
};
const tokens = (f: EnvoyFilter): unknown => JSON.stringify(f.spec.configPatches.find((c) => c.applyTo === 'HTTP_ROUTE')?.patch.value).match(/"max_tokens":(\d+)/)?.[1];

describe('the rate-limit EnvoyFilter in the pipeline', () => {
  it('is written with the service by the push a sync asks for, in governance.rateLimitNamespace, and a second sync finds nothing to do', async () => {
    setRules(p, limitRules(100));
    expect(await syncAndPush()).toEqual([ORDERS]);
    const filter = theFilter();
    const se = p.cluster.get(p.cluster.keys('ServiceEntry')[0] as string) as IstioObject;
    expect(filterKeys()).toEqual([`EnvoyFilter/${ROOT}/${se.metadata.name}`]);
    expect(filter.metadata.labels[SERVICE_LABEL]).toBe(se.metadata.name);
    expect(tokens(filter)).toBe('100');
    // State records it with the service, so the sync's hash comparison covers it.
    const state = await p.state.getService(ORDERS);
    expect(Object.keys(state?.objects ?? {})).toContain(`EnvoyFilter/${ROOT}/${se.metadata.name}`);
    const calls = p.cluster.mutatingCalls;
    expect(await syncAndPush()).toEqual([]);
    expect(p.cluster.mutatingCalls).toBe(calls);
  });

  it('follows its rule: changed, the filter is updated; deleted, it is pruned', async () => {
    setRules(p, limitRules(100));
    await syncAndPush();
    setRules(p, limitRules(7));
    expect(await syncAndPush()).toEqual([ORDERS]);
    expect(tokens(theFilter())).toBe('7');
    setRules(p, [group('api', [{ apiPath: { prefix: '/api' } }])]);
    expect(await syncAndPush()).toEqual([ORDERS]);
    expect(filterKeys()).toEqual([]);
    expect(p.cluster.keys('ServiceEntry')).toHaveLength(1);
  });

  it('is repaired by the audit when deleted by hand, and shown by a dry run before it is written', async () => {
    setRules(p, limitRules(100));
    p.governance = { enabled: true, rateLimiting: false, rateLimitNamespace: ROOT };
    p.cluster.kinds = WITHOUT_RATE_LIMITS;
    await syncAndPush();
    expect(filterKeys()).toEqual([]);
    p.governance = { enabled: true, rateLimiting: true, rateLimitNamespace: ROOT };
    p.cluster.kinds = WITH_RATE_LIMITS;
    const calls = p.cluster.mutatingCalls;
    const diff = await runResync({ ...p, content: p.cluster.contentReader() }, 'diff', { dryRun: true });
    expect(diff.wouldApply?.filter((k) => k.startsWith('EnvoyFilter/'))).toEqual([expect.stringMatching(new RegExp(`^EnvoyFilter/${ROOT}/orders-`))]);
    expect(p.cluster.mutatingCalls).toBe(calls);

    await syncAndPush();
    const [key] = filterKeys();
    p.cluster.remove(key as string);
    const audit = await reconcile(p, 'audit', { shards: Array.from({ length: 64 }, (_, i) => i) });
    expect(audit).toMatchObject({ missing: 1, applied: 1 });
    expect(filterKeys()).toEqual([key]);
  });

  it('is never written over when a foreign EnvoyFilter holds its name, and leaves other EnvoyFilters alone', async () => {
    setRules(p, limitRules(100));
    await syncAndPush();
    const mine = theFilter();
    p.cluster.remove(`EnvoyFilter/${ROOT}/${mine.metadata.name}`);
    const foreign = (name: string): EnvoyFilter => ({
      apiVersion: ENVOY_FILTER_API_VERSION,
      kind: 'EnvoyFilter',
      metadata: { name, namespace: ROOT, labels: { team: 'edge' }, annotations: {} },
      spec: { configPatches: [] },
    });
    p.cluster.put(foreign(mine.metadata.name));
    p.cluster.put(foreign('edge-limits'));
    setRules(p, limitRules(50));
    p.queue.sent.length = 0;
    const sync = await syncOnce(p, 'sync');
    const push = await pushServices(sync.dirty, p, 'push');
    expect(push.results[0]).toMatchObject({ serviceKey: ORDERS, outcome: 'conflict', conflicts: 1 });
    expect(p.cluster.get(`EnvoyFilter/${ROOT}/${mine.metadata.name}`)).toEqual(foreign(mine.metadata.name));
    // Rule deleted: the foreign filters stay, whatever their names.
    setRules(p, []);
    await syncAndPush();
    expect(filterKeys()).toEqual([`EnvoyFilter/${ROOT}/edge-limits`, `EnvoyFilter/${ROOT}/${mine.metadata.name}`].sort());
  });

  it('is pruned by the next push once rate limiting is turned off, though the cluster no longer lists EnvoyFilters', async () => {
    setRules(p, limitRules(100));
    await syncAndPush();
    expect(filterKeys()).toHaveLength(1);
    p.governance = { enabled: true, rateLimiting: false, rateLimitNamespace: ROOT };
    p.cluster.kinds = WITHOUT_RATE_LIMITS;
    expect(await syncAndPush()).toEqual([ORDERS]);
    expect(filterKeys()).toEqual([]);
    // The VirtualService went too: its routes were there only to be named by the filter's per-route config.
    expect(p.cluster.changes.filter((c) => c.op === 'delete').map((c) => c.key.split('/')[0])).toEqual(['EnvoyFilter', 'VirtualService']);
    expect(Object.keys((await p.state.getService(ORDERS))?.objects ?? {}).some((k) => k.startsWith('EnvoyFilter/'))).toBe(false);
    // Converged: nothing left to do.
    expect(await syncAndPush()).toEqual([]);
  });

  it('goes with the VirtualService once governance is turned off', async () => {
    setRules(p, [...limitRules(100), rule('retry', 'api', { maxAttempts: 3 }), rule('loadbalance', 'api', { rule: 'Random' })]);
    await syncAndPush();
    expect(p.cluster.keys().map((k) => k.split('/')[0]).sort()).toEqual(['DestinationRule', 'EnvoyFilter', 'ServiceEntry', 'VirtualService', 'WorkloadEntry']);
    p.governance = { enabled: false, rateLimiting: true, rateLimitNamespace: ROOT };
    p.cluster.kinds = WITHOUT_GOVERNANCE;
    expect(await syncAndPush()).toEqual([ORDERS]);
    expect(p.cluster.keys().map((k) => k.split('/')[0]).sort()).toEqual(['ServiceEntry', 'WorkloadEntry']);
    expect(await syncAndPush()).toEqual([]);
  });
});
