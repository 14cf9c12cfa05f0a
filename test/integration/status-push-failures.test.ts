// `sc2mesh status` sees pushes: every push records its run (both hosts push through
// pushCycle), and status, in text and as JSON, names each service a recent push failed and
// why, including a push interrupted as a whole (every one of its keys failed for one reason).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushCycle } from '../../lib/pipeline/push-cycle.ts';
import type { PushDeps } from '../../lib/pipeline/push.ts';
import { systemClock } from '../../lib/time/clock.ts';
import type { RegistryRead } from '../../lib/pipeline/contracts.ts';
import { createDynamoStateStore } from '../../lib/state/dynamo-store.ts';
import { startEmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { EMBEDDED_TABLE } from '../../lib/runtime/build-runtime.ts';
import { silentLogger } from '../../lib/log.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';
import type { PushFailure, StatusSummary } from '../../lib/server/ops-api.ts';
import { startHarness, type Harness } from '../support/pipeline-harness.ts';
import { StaticRegistrySource } from '../support/static-registry-source.ts';
import { detail, instance, service } from '../support/registry-builders.ts';
import { runCli } from '../support/run-cli.ts';

const CART = serviceKeyOf({ environment: '', appId: 'shop', serviceName: 'cart' });
const ORDERS = serviceKeyOf({ environment: '', appId: 'shop', serviceName: 'orders' });
const LEDGER = serviceKeyOf({ environment: '', appId: 'shop', serviceName: 'ledger' });

/** A registry whose batch read cannot answer for some services (as a per-app find that timed out). */
class PartlyReadableRegistry extends StaticRegistrySource {
  readonly unreadable = new Map<string, string>();
  override async readServices(keys: readonly string[]): Promise<RegistryRead> {
    const read = await super.readServices(keys);
    for (const [key, reason] of this.unreadable) {
      if (!keys.includes(key)) continue;
      read.services.delete(key);
      read.missing.delete(key);
      read.unreadable.set(key, reason);
    }
    return read;
  }
}

let dir: string;
let h: Harness;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sc2mesh-status-push-'));
  h = await startHarness();
  const registry = new PartlyReadableRegistry([
    detail(service({ serviceName: 'cart' }), [instance()]),
    detail(service({ serviceName: 'orders' }), [instance()]),
    detail(service({ serviceName: 'ledger' }), [instance()]),
  ]);
  registry.unreadable.set(ORDERS, 'find shop timed out after 5000 ms');
  // The state the CLI reads: an embedded store in a folder, on the real clock (runs expire).
  const db = await startEmbeddedDynalite({ tableName: EMBEDDED_TABLE, path: dir });
  try {
    const deps: PushDeps = { ...h, registry, state: createDynamoStateStore({ client: db.client, tableName: EMBEDDED_TABLE, logger: silentLogger }), clock: systemClock };
    const first = await pushCycle([CART, ORDERS], deps, 'push-partial', Date.now() - 500);
    expect(first.failedKeys).toEqual([ORDERS]);
    registry.down = true;
    const second = await pushCycle([CART, LEDGER], deps, 'push-interrupted', Date.now() - 200);
    expect(second.failedKeys).toEqual([LEDGER, CART].sort());
  } finally {
    await db.close();
  }
}, 60_000);

afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('status shows recent push failures', () => {
  it('--json: each failed service with its key and reason, per run and newest first', async () => {
    const run = await runCli(['status', '--state-dir', dir, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as StatusSummary;
    const interrupted = 'push interrupted: connect ECONNREFUSED 127.0.0.1:30100';
    expect(summary.pushFailures.map((f: PushFailure) => ({ serviceKey: f.serviceKey, outcome: f.outcome, reason: f.reason }))).toEqual([
      { serviceKey: CART, outcome: 'failed', reason: interrupted },
      { serviceKey: LEDGER, outcome: 'failed', reason: interrupted },
      { serviceKey: ORDERS, outcome: 'failed', reason: 'registry: find shop timed out after 5000 ms' },
    ]);
    for (const f of summary.pushFailures) expect(Number.isNaN(Date.parse(f.at))).toBe(false);
    const pushes = summary.runs.filter((r) => r.kind === 'push');
    expect(pushes.map((r) => r.outcome)).toEqual(['error', 'partial']);
    expect(pushes[0]?.failures?.map((f) => f.serviceKey)).toEqual([CART, LEDGER]);
    expect(pushes[1]?.failures).toEqual([{ serviceKey: ORDERS, outcome: 'failed', reason: 'registry: find shop timed out after 5000 ms' }]);
    expect(pushes[1]?.counts).toMatchObject({ services: 2, failed: 1 });
  }, 30_000);

  it('text: a table of the services, outcomes and reasons', async () => {
    const run = await runCli(['status', '--state-dir', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^push\s+\S+\s+error\s/m);
    expect(run.stdout).toMatch(/^push\s+\S+\s+partial\s+\d+\s+.*failed=1/m);
    expect(run.stdout).toContain('services recent pushes did not converge');
    const row = (key: string): RegExp => new RegExp(`^\\S+Z\\s+failed\\s+${key.replaceAll('/', '\\/')}\\s+(.*)$`, 'm');
    expect(run.stdout.match(row(ORDERS))?.[1]).toBe('registry: find shop timed out after 5000 ms');
    expect(run.stdout.match(row(CART))?.[1]).toBe('push interrupted: connect ECONNREFUSED 127.0.0.1:30100');
    expect(run.stdout.match(row(LEDGER))?.[1]).toBe('push interrupted: connect ECONNREFUSED 127.0.0.1:30100');
    // shown once, in the table, not again as the runs' messages
    expect(run.stdout.split('\n').filter((l) => l.includes('find shop timed out'))).toHaveLength(1);
  }, 30_000);
});
