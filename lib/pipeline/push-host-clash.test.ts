// Two services whose names differ only in case share one DNS host (hosts fold case). The
// full render keeps the all-lower-case one and skips the other; a push of one of them
// alone, as the watcher sends them, must come to the same: same winner, same skip reason,
// nothing of the loser published on the winner's host, the skip counted and recorded.
import { beforeEach, describe, expect, it } from '@jest/globals';
import type { ServiceEntry } from '../model/istio.ts';
import type { ServiceDetail } from '../model/registry.ts';
import { serviceKeyOf } from '../names/service-names.ts';
import { partsOf } from '../render/service-group.ts';
import { detail, instance, service } from '../../test/support/registry-builders.ts';
import { memoryPipeline, type MemoryPipeline } from '../../test/support/memory-cluster.ts';
import { desiredState } from './desired-state.ts';
import { pushServices } from './push.ts';
import { pushCycle } from './push-cycle.ts';
import { syncOnce } from './sync.ts';

const keyOf = (d: ServiceDetail): string => serviceKeyOf(partsOf(d.microService));
const HOST = 'orders.shop.servicecomb.internal';
const REASON = `host ${HOST} is already taken by shop/orders`;

function registryService(name: string, address: string, appId = 'shop'): ServiceDetail {
  return detail(service({ serviceName: name, appId, serviceId: `id-${appId}-${name}` }), [instance({ instanceId: `${name}-1`, endpoints: [`rest://${address}:8080`] })]);
}

/** Which services' ServiceEntries claim `host` in the cluster. */
function claimants(p: MemoryPipeline, host: string): string[] {
  return p.cluster
    .keys('ServiceEntry')
    .map((k) => p.cluster.get(k) as ServiceEntry)
    .filter((se) => se.spec.hosts.includes(host))
    .map((se) => se.metadata.annotations['sc2mesh.io/service-key'] ?? '')
    .sort();
}

let p: MemoryPipeline;
let upper: ServiceDetail;
let lower: ServiceDetail;
beforeEach(() => {
  p = memoryPipeline();
  upper = registryService('Orders', '10.0.0.1');
  lower = registryService('orders', '10.0.0.2');
  p.registry.details = [upper, lower];
});

describe('a push of one service alone, whose host another service holds in another case', () => {
  it('the full render keeps the lower-case service and skips the other (the rule the push must follow)', () => {
    const desired = desiredState(p.registry.details, p.render);
    expect([...desired.services.keys()]).toEqual([keyOf(lower)]);
    expect(desired.skipped).toEqual([expect.objectContaining({ key: keyOf(upper), reason: REASON })]);
  });

  for (const order of ['loser first', 'winner first'] as const) {
    it(`skips the loser with the render's reason and publishes the winner alone (${order})`, async () => {
      const pushes = order === 'loser first' ? [upper, lower] : [lower, upper];
      const reports = [];
      for (const d of pushes) reports.push(await pushServices([keyOf(d)], p, `p-${d.microService.serviceName}`));
      const results = reports.flatMap((r) => r.results);

      expect(results.find((r) => r.serviceKey === keyOf(upper))).toMatchObject({ outcome: 'skipped', reason: REASON, applied: 0 });
      expect(results.find((r) => r.serviceKey === keyOf(lower))).toMatchObject({ outcome: 'pushed' });
      expect(claimants(p, HOST)).toEqual([keyOf(lower)]);
      expect(p.cluster.keys().filter((k) => k.includes('orders-shop'))).toHaveLength(2); // the winner's ServiceEntry and WorkloadEntry
      expect(await p.state.getService(keyOf(upper))).toBeUndefined();
      expect(p.metrics.snapshot()['services_skipped']).toBe(1);

      // The sync then finds nothing to do and reports the same skip.
      const sync = await syncOnce(p, 's');
      expect(sync.dirty).toEqual([]);
      expect(sync.removed).toEqual([]);
      expect(sync.skipped).toEqual([{ serviceKey: keyOf(upper), reason: REASON }]);
    });
  }

  it('is told apart in one batch too, and status shows the skip', async () => {
    const report = await pushCycle([keyOf(upper), keyOf(lower)], p, 'cycle', p.clock.now());
    expect(report.results.map((r) => [r.serviceKey, r.outcome])).toEqual([
      [keyOf(upper), 'skipped'],
      [keyOf(lower), 'pushed'],
    ]);
    const [run] = await p.state.recentRuns(1);
    expect(run?.message).toBe(`skipped ${keyOf(upper)}: ${REASON}`);
  });

  it('publishes the other one once the lower-case service is gone from the registry', async () => {
    await pushServices([keyOf(upper)], p, 'p1');
    expect(claimants(p, HOST)).toEqual([]);
    p.registry.details = [upper];
    const report = await pushServices([keyOf(upper)], p, 'p2');
    expect(report.results[0]).toMatchObject({ outcome: 'pushed' });
    expect(claimants(p, HOST)).toEqual([keyOf(upper)]);
  });

  it('asks no other app for a rival (a find there would register a consumer in it), but tells apps apart within one batch', async () => {
    const otherApp = registryService('orders', '10.0.0.3', 'Shop');
    p.registry.details = [otherApp, lower];
    const alone = await pushServices([keyOf(otherApp)], p, 'p1');
    expect(p.registry.keysRead).toEqual([keyOf(otherApp)]);
    expect(alone.results[0]).toMatchObject({ outcome: 'pushed' });

    const both = await pushServices([keyOf(otherApp), keyOf(lower)], p, 'p2');
    expect(both.results.map((r) => [r.serviceKey, r.outcome])).toEqual([
      [keyOf(otherApp), 'skipped'],
      [keyOf(lower), 'pushed'],
    ]);
    expect(both.results[0]?.reason).toBe(REASON);
  });

  it('fails the push, publishing nothing, when the lower-case service cannot be read', async () => {
    p.registry.unreadableKeys.add(keyOf(lower));
    const report = await pushServices([keyOf(upper)], p, 'p');
    expect(report.results[0]).toMatchObject({ outcome: 'failed' });
    expect(report.results[0]?.reason).toContain(keyOf(lower));
    expect(report.failedKeys).toEqual([keyOf(upper)]);
    expect(p.cluster.keys()).toEqual([]);
  });

  it('reads only the pushed service and its lower-case rival, never the whole registry', async () => {
    p.registry.details = [upper, lower, ...Array.from({ length: 20 }, (_, i) => registryService(`other${i}`, `10.0.1.${i + 1}`))];
    await pushServices([keyOf(upper)], p, 'p');
    expect(p.registry.fullReads).toBe(0);
    expect(p.registry.keysRead).toEqual([keyOf(upper), keyOf(lower)].sort());
  });

  it('adds no rival read for a lower-case service, nor for one whose host cannot clash', async () => {
    const mixed = registryService('Order_Service', '10.0.0.4');
    p.registry.details = [lower, mixed];
    await pushServices([keyOf(lower), keyOf(mixed)], p, 'p');
    expect(p.registry.keysRead).toEqual([keyOf(lower), keyOf(mixed)].sort());
  });
});
