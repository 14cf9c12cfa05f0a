// Governance in the pipeline, on memory state and an in-memory cluster: the sync and the
// push render the same objects (so they never fight), a rule change makes the service
// dirty, rules that cannot be read change nothing, a foreign object holding the name is a
// conflict, and with governance off no rule is even read.
import { beforeEach, describe, expect, it } from '@jest/globals';
import { EVERY, group, rule, type RawRule } from '../../test/support/governance-rules.ts';
import { memoryPipeline, type MemoryPipeline } from '../../test/support/memory-cluster.ts';
import { detail, instance, service } from '../../test/support/registry-builders.ts';
import { ISTIO_API_VERSION, type IstioObject } from '../model/istio.ts';
import { serviceKeyOf } from '../names/service-names.ts';
import type { GovernanceKind } from '../governance/kinds.ts';
import { pushServices } from './push.ts';
import { reconcile } from './reconcile.ts';
import { runResync } from './resync.ts';
import { syncOnce } from './sync.ts';

const ORDERS = serviceKeyOf({ environment: 'production', appId: 'shop', serviceName: 'orders' });

function setRules(p: MemoryPipeline, raws: readonly RawRule[]): void {
  const lists: Partial<Record<GovernanceKind, RawRule[]>> = {};
  for (const raw of raws) (lists[raw.kind] ??= []).push(raw);
  p.registry.governance = { lists, unavailable: [] };
}

const RETRY: RawRule[] = [group('g', EVERY), rule('retry', 'g', { maxAttempts: 3 }), rule('loadbalance', 'g', { rule: 'RoundRobin' })];

let p: MemoryPipeline;
beforeEach(() => {
  p = memoryPipeline();
  p.governance = { enabled: true, rateLimiting: false };
  p.registry.details = [detail(service({ serviceName: 'orders', environment: 'production', serviceId: 'orders-1' }), [instance({ instanceId: 'o-1', endpoints: ['rest://10.0.0.1:8080'] })])];
});

async function syncAndPush(): Promise<string[]> {
  p.queue.sent.length = 0;
  const report = await syncOnce(p, 'sync');
  if (report.dirty.length > 0) await pushServices(report.dirty, p, 'push');
  return report.dirty;
}

const kinds = (): string[] => p.cluster.keys().map((k) => k.split('/')[0] as string).sort();

describe('governance in the pipeline', () => {
  it('writes the VirtualService and the traffic policy, and a second sync finds nothing to do', async () => {
    setRules(p, RETRY);
    expect(await syncAndPush()).toEqual([ORDERS]);
    expect(kinds()).toEqual(['DestinationRule', 'ServiceEntry', 'VirtualService', 'WorkloadEntry']);
    // The push rendered what the sync did: the recorded hash matches, nothing is dirty.
    const calls = p.cluster.mutatingCalls;
    expect(await syncAndPush()).toEqual([]);
    expect(p.cluster.mutatingCalls).toBe(calls);
  });

  it('makes the service dirty when a rule changes, and removes what a deleted rule shaped', async () => {
    setRules(p, RETRY);
    await syncAndPush();
    setRules(p, RETRY.map((r) => (r.kind === 'retry' ? { ...r, spec: { maxAttempts: 5 } } : r)));
    expect(await syncAndPush()).toEqual([ORDERS]);
    const vs = p.cluster.get(p.cluster.keys('VirtualService')[0] as string);
    expect(vs?.kind === 'VirtualService' && vs.spec.http[0]?.retries?.attempts).toBe(5);
    setRules(p, []);
    expect(await syncAndPush()).toEqual([ORDERS]);
    expect(kinds()).toEqual(['ServiceEntry', 'WorkloadEntry']);
  });

  it('changes nothing while the rules cannot be read: the sync enqueues nothing, the push writes nothing', async () => {
    setRules(p, RETRY);
    await syncAndPush();
    const before = p.cluster.keys();
    p.registry.governanceDown = true;
    setRules(p, []);
    p.queue.sent.length = 0;
    const sync = await syncOnce(p, 'sync');
    expect(sync.outcome).toBe('registry-unavailable');
    expect(p.queue.sent).toEqual([]);
    const push = await pushServices([ORDERS], p, 'push');
    expect(push.failedKeys).toEqual([ORDERS]);
    expect(push.results[0]?.reason).toContain('governance rules');
    const resync = await reconcile(p, 'resync');
    expect(resync.outcome).toBe('registry-unavailable');
    expect(p.cluster.keys()).toEqual(before);
    expect(p.metrics.get('governance_unavailable')).toBe(3);
  });

  it('takes a kind the registry does not serve for no rule of that kind', async () => {
    setRules(p, RETRY);
    p.registry.governance.unavailable = [{ kind: 'instance-bulkhead', status: 404, message: 'not found' }];
    expect(await syncAndPush()).toEqual([ORDERS]);
    expect(kinds()).toContain('VirtualService');
  });

  it('leaves a foreign VirtualService of the same name alone and reports the conflict', async () => {
    await syncAndPush();
    const se = p.cluster.get(p.cluster.keys('ServiceEntry')[0] as string) as IstioObject;
    const { name, namespace } = se.metadata;
    const foreign: IstioObject = {
      apiVersion: ISTIO_API_VERSION,
      kind: 'VirtualService',
      metadata: { name, namespace, labels: { team: 'legacy' }, annotations: {} },
      spec: { hosts: ['legacy.example.com'], http: [{ name: 'all', route: [{ destination: { host: 'legacy.example.com' } }] }] },
    };
    p.cluster.put(foreign);
    setRules(p, RETRY);
    p.queue.sent.length = 0;
    const sync = await syncOnce(p, 'sync');
    const push = await pushServices(sync.dirty, p, 'push');
    expect(push.results[0]).toMatchObject({ serviceKey: ORDERS, outcome: 'conflict', conflicts: 1 });
    expect(p.cluster.get(`VirtualService/${namespace}/${name}`)).toEqual(foreign);
    // The rest of the service's objects still go through.
    expect(kinds()).toEqual(['DestinationRule', 'ServiceEntry', 'VirtualService', 'WorkloadEntry']);
  });

  it('shows in a dry run (sc2mesh diff) what turning governance on would write, writing nothing', async () => {
    setRules(p, RETRY);
    p.governance = { enabled: false, rateLimiting: false };
    await syncAndPush();
    p.governance = { enabled: true, rateLimiting: false };
    const calls = p.cluster.mutatingCalls;
    const diff = await runResync({ ...p, content: p.cluster.contentReader() }, 'diff', { dryRun: true });
    expect((diff.wouldApply ?? []).map((k) => k.split('/')[0]).sort()).toEqual(['DestinationRule', 'VirtualService']);
    expect(diff.wouldDelete).toEqual([]);
    expect(p.cluster.mutatingCalls).toBe(calls);
  });

  it('reads no rule and writes no governance object when governance is off', async () => {
    setRules(p, RETRY);
    p.governance = { enabled: false, rateLimiting: false };
    await syncAndPush();
    expect(p.registry.governanceReads).toBe(0);
    expect(kinds()).toEqual(['ServiceEntry', 'WorkloadEntry']);
  });

  it('counts the rules mapped for no service', async () => {
    setRules(p, [...RETRY, rule('retry', 'nowhere', { maxAttempts: 2 }, { selector: { app: 'bank', environment: 'production' } })]);
    await syncAndPush();
    expect(p.metrics.governanceRulesNotMapped).toBe(1);
    expect(p.metrics.toPrometheus()).toContain('sc2mesh_governance_rules_not_mapped 1');
  });
});
