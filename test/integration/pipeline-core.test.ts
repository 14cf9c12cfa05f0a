// The pipeline core end to end on real parts (dynalite state, a manifests folder as the
// cluster): sync → push → sync, minimal writes, removals, guards, drift repair.
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { syncOnce } from '../../lib/pipeline/sync.ts';
import { pushServices } from '../../lib/pipeline/push.ts';
import { reconcile } from '../../lib/pipeline/reconcile.ts';
import { listManifests } from '../../lib/output/manifest-folder.ts';
import { detail, instance, service } from '../support/registry-builders.ts';
import { startHarness, type Harness } from '../support/pipeline-harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

function registry(instancesPerService = 2, services = 4) {
  return Array.from({ length: services }, (_, s) =>
    detail(
      service({ serviceName: `svc${s}`, serviceId: `id-${s}` }),
      Array.from({ length: instancesPerService }, (_, i) => instance({ instanceId: `i-${s}-${i}`, endpoints: [`rest://10.0.${s}.${i + 1}:8080`] })),
    ),
  );
}

async function converge(): Promise<void> {
  const report = await syncOnce(h, 'sync-1');
  await pushServices(h.queue.keys(), h, 'push-1');
  h.queue.clear();
  expect(report.outcome).toBe('ok');
}

describe('pipeline core', () => {
  it('converges, then a sync with no change makes zero writes of any kind', async () => {
    h.registry.details = registry();
    const first = await syncOnce(h, 's1');
    expect(first.dirty).toHaveLength(4);
    const push = await pushServices(h.queue.keys(), h, 'p1');
    expect(push.applied).toBe(12); // 4 × (ServiceEntry + 2 WorkloadEntries)
    expect(await listManifests(h.folder)).toHaveLength(12);
    h.queue.clear();

    h.state.resetMetrics();
    const writesBefore = h.folderCluster.stats.writes;
    const second = await syncOnce(h, 's2');
    expect(second.dirty).toEqual([]);
    expect(h.queue.sent).toEqual([]);
    expect(h.state.metrics.writes).toBe(0);
    expect(h.folderCluster.stats.writes).toBe(writesBefore);

    // Pushing again anyway (a duplicated message) writes nothing either.
    const again = await pushServices(first.dirty, h, 'p2');
    expect(again.applied + again.deleted).toBe(0);
    expect(h.state.metrics.writes).toBe(0);
  });

  it('one instance change is one object write', async () => {
    h.registry.details = registry();
    await converge();
    const writes = h.folderCluster.stats.writes;
    (h.registry.details[2]?.instances ?? []).push(instance({ instanceId: 'new', endpoints: ['rest://10.0.2.99:8080'] }));
    const sync = await syncOnce(h, 's');
    expect(sync.dirty).toHaveLength(1);
    const push = await pushServices(h.queue.keys(), h, 'p');
    expect(push.applied).toBe(1);
    expect(h.folderCluster.stats.writes - writes).toBe(1);
  });

  it('removes the objects of a service gone from the registry', async () => {
    h.registry.details = registry();
    await converge();
    h.registry.details = h.registry.details.slice(1);
    const sync = await syncOnce(h, 's');
    expect(sync.removed).toHaveLength(1);
    const push = await pushServices(h.queue.keys(), h, 'p');
    expect(push.deleted).toBe(3);
    expect(push.results[0]?.outcome).toBe('removed');
    expect(await listManifests(h.folder)).toHaveLength(9);
    expect((await h.state.listServices()).items).toHaveLength(3);
  });

  it('an unreadable registry means unknown: nothing enqueued, nothing deleted', async () => {
    h.registry.details = registry();
    await converge();
    h.registry.down = true;
    const sync = await syncOnce(h, 's');
    expect(sync.outcome).toBe('registry-unavailable');
    expect(h.queue.sent).toEqual([]);
    await expect(pushServices(['%2Fx/shop/svc0'], h, 'p')).rejects.toThrow('ECONNREFUSED');
    expect(await listManifests(h.folder)).toHaveLength(12);
  });

  it('the mass-deletion guard refuses to empty the mesh unless forced', async () => {
    h.registry.details = registry(2, 10);
    await converge();
    h.registry.details = h.registry.details.slice(0, 2);
    const sync = await syncOnce(h, 's');
    expect(sync.outcome).toBe('removals-refused');
    expect(sync.removed).toEqual([]);
    expect(h.metrics.get('deletions_refused')).toBe(1);
    // A push of those keys (e.g. from stale messages) is refused too.
    const keys = (await h.state.listServices()).items.map((s) => s.serviceKey);
    const refused = await pushServices(keys, h, 'p');
    expect(refused.deleted).toBe(0);
    expect(await listManifests(h.folder)).toHaveLength(30);
    h.guard.force = true;
    const forced = await pushServices(keys, h, 'p2');
    expect(forced.deleted).toBe(24);
  });

  it('a bad endpoint skips its instance only: the other instances of the service stay published and current', async () => {
    h.registry.details = registry();
    await converge();
    const bad = h.registry.details[0]?.instances?.[0];
    if (bad) bad.endpoints = ['rest://10.0.0.1'];
    h.registry.details[0]?.instances?.push(instance({ instanceId: 'i-0-new', endpoints: ['rest://10.0.0.77:8080'] }));
    (h.registry.details[1]?.instances ?? []).pop();
    const sync = await syncOnce(h, 's');
    expect(sync.skipped).toEqual([]);
    expect(sync.dirty).toHaveLength(2);
    const push = await pushServices(h.queue.keys(), h, 'p');
    // svc0: the bad instance's WorkloadEntry goes, the new one comes; svc1 loses one
    expect(push.deleted).toBe(2);
    expect(push.applied).toBe(1);
    expect(h.metrics.get('instances_skipped')).toBe(1);
    expect(await listManifests(h.folder)).toHaveLength(11);
  });

  it('resync restores an object deleted by hand and one whose hash annotation was edited, and deletes an owned stray', async () => {
    h.registry.details = registry();
    await converge();
    const files = await listManifests(h.folder);
    const victim = files.find((f) => f.includes('workloadentries')) as string;
    const edited = files.find((f) => f.includes('serviceentries')) as string;
    await rm(join(h.folder, victim));
    const text = await readFile(join(h.folder, edited), 'utf8');
    await writeFile(join(h.folder, edited), text.replace(/sc2mesh.io\/content-hash: .*/, 'sc2mesh.io/content-hash: hand-edited'));
    const stray = text.replace(/\n  name: .*\n/, '\n  name: stray\n');
    await writeFile(join(h.folder, 'sc2mesh/serviceentries/stray.yaml'), stray);

    const report = await reconcile(h, 'r');
    expect(report).toMatchObject({ outcome: 'ok', missing: 1, edited: 1, applied: 2, deleted: 1 });
    expect((await listManifests(h.folder)).sort()).toEqual(files.sort());
    const again = await reconcile(h, 'r2');
    expect(again).toMatchObject({ missing: 0, edited: 0, applied: 0, deleted: 0 });
  });

  it('never overwrites or deletes a manifest without sc2mesh ownership marks', async () => {
    h.registry.details = registry(1, 1);
    await converge();
    const [se] = (await listManifests(h.folder)).filter((f) => f.includes('serviceentries'));
    const path = join(h.folder, se as string);
    const foreign = (await readFile(path, 'utf8')).replace('app.kubernetes.io/managed-by: sc2mesh', 'app.kubernetes.io/managed-by: someone-else');
    await writeFile(path, foreign);
    const report = await reconcile(h, 'r');
    expect(report.conflicts).toBe(1);
    expect(await readFile(path, 'utf8')).toBe(foreign);
    h.registry.details = [];
    h.guard.force = true;
    await syncOnce(h, 's');
    await pushServices(h.queue.keys(), h, 'p');
    expect(await readFile(path, 'utf8')).toBe(foreign);
  });
});

describe('scheduled sync (sync + drift audit)', () => {
  it('a quiet minute writes nothing, and the audit repairs a hand deletion within the audit period', async () => {
    const { runScheduledSync } = await import('../../lib/pipeline/scheduled-sync.ts');
    h.registry.details = registry(2, 6);
    await converge();
    const deps = { ...h, cluster: h.folderCluster, auditPeriodMinutes: 15 };
    h.state.resetMetrics();
    const quiet = await runScheduledSync(deps, 'quiet');
    expect(quiet.sync.dirty).toEqual([]);
    expect(h.state.metrics.writes).toBe(0);
    expect(h.queue.sent).toEqual([]);

    const victim = (await listManifests(h.folder)).find((f) => f.includes('workloadentries')) as string;
    await rm(join(h.folder, victim));
    let repaired = 0;
    for (let minute = 0; minute < 15; minute++) {
      await h.clock.advanceBy(60_000);
      repaired += (await runScheduledSync(deps, `m${minute}`)).audit?.applied ?? 0;
    }
    expect(repaired).toBe(1);
    expect(await listManifests(h.folder)).toHaveLength(18);
    expect((await h.state.recentRuns(5)).map((r) => r.counts['repaired'])).toContain(1);
  });
});

describe('corrupt state', () => {
  it('a service whose state item lost its object items is pushed afresh and its record written over', async () => {
    const { QueryCommand, DeleteItemCommand } = await import('@aws-sdk/client-dynamodb');
    h.registry.details = registry(2, 2);
    await converge();
    const key = (await h.state.listServices()).items[0]?.serviceKey as string;
    const chunks = await h.dynamo.client.send(
      new QueryCommand({ TableName: h.dynamo.tableName, KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': { S: 'OBJ' }, ':s': { S: `${key}#` } } }),
    );
    expect(chunks.Items?.length).toBeGreaterThan(0);
    for (const item of chunks.Items ?? []) await h.dynamo.client.send(new DeleteItemCommand({ TableName: h.dynamo.tableName, Key: { pk: item['pk'] as { S: string }, sk: item['sk'] as { S: string } } }));
    expect((await h.state.getServices([key])).corrupt).toHaveLength(1);

    // The service changes meanwhile: one instance fewer.
    const detail = h.registry.details.find((d) => encodeURIComponent(d.microService.serviceName) === key.split('/')[2]);
    detail?.instances?.pop();
    const push = await pushServices([key], h, 'p');
    expect(push.results[0]?.outcome).not.toBe('failed');
    const after = await h.state.getServices([key]);
    expect(after.corrupt).toEqual([]);
    expect(Object.keys(after.services.get(key)?.objects ?? {})).toHaveLength(2);
    // The object no longer wanted is an owned stray in the cluster: the push, which looks
    // at what the cluster holds for the service, removes it at once.
    expect(push.deleted).toBe(1);
    expect(await listManifests(h.folder)).toHaveLength(5);
    expect((await reconcile(h, 'r')).deleted).toBe(0);
  });
});

describe('registry wipe', () => {
  it('services vanishing one small push at a time are kept when the registry as a whole looks wiped', async () => {
    h.registry.details = registry(1, 12);
    await converge();
    const keys = (await h.state.listServices()).items.map((s) => s.serviceKey);
    const full = h.registry.details;
    h.registry.details = [];
    // Each push removes one service (2 objects): far below the batch guard's minimum.
    for (const key of keys) {
      const r = await pushServices([key], h, `p-${key}`);
      expect(r.results[0]?.outcome).toBe('refused');
    }
    expect(await listManifests(h.folder)).toHaveLength(24);
    expect(h.metrics.get('deletions_refused')).toBe(12);

    // A real decommissioning of one service among twelve goes through.
    h.registry.details = full.slice(1);
    const one = await pushServices(keys, h, 'p-one');
    expect(one.deleted).toBe(2);
    expect(await listManifests(h.folder)).toHaveLength(22);
  });
});
