// `sc2mesh render --governance RULES` and `sc2mesh governance`: the governance objects in
// the output, valid against the real CRDs; every rule's fate on stderr, in --report and
// in the governance command's table and JSON, from files or from a registry.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { GovernanceOutput } from '../../lib/cli/governance-command.ts';
import type { RenderReport } from '../../lib/cli/render-command.ts';
import { GOVERNANCE_RULES_ANNOTATION } from '../../lib/governance/objects.ts';
import { assertValidIstioObjects } from '../../lib/istio-validator/index.ts';
import type { DestinationRule, VirtualService } from '../../lib/model/istio.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { assertValidGovernanceObjects } from '../support/governance-crds.ts';
import { runCli } from '../support/run-cli.ts';

const DUMP = 'lib/demo/sample-registry.json';
const RULES = 'lib/demo/sample-governance.json';

interface Doc {
  kind: string;
  metadata: { name: string; namespace: string; annotations: Record<string, string> };
}

const docsOf = (stdout: string): Doc[] => parseAllDocuments(stdout).map((d) => d.toJS() as Doc);

let tmp: string;
let sim: RegistrySimulator;
const saved = { ...process.env };
beforeAll(async () => {
  for (const name of Object.keys(process.env)) if (name.startsWith('SC2MESH_') && name !== 'SC2MESH_SHARED_DIR') delete process.env[name];
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sc2mesh-cli-governance-'));
  const seed = { ...(JSON.parse(await readFile(DUMP, 'utf8')) as object), governance: JSON.parse(await readFile(RULES, 'utf8')) as unknown };
  sim = await startRegistrySimulator({ seed });
});
afterAll(async () => {
  await sim.close();
  await rm(tmp, { recursive: true, force: true });
  Object.assign(process.env, saved);
});

describe('sc2mesh render --governance', () => {
  it('adds the VirtualService and the DestinationRule traffic policy, valid against the CRDs', async () => {
    const r = await runCli(['render', '--input', DUMP, '--governance', RULES]);
    expect(r.code).toBe(0);
    const docs = docsOf(r.stdout);
    const vs = docs.filter((d) => d.kind === 'VirtualService') as unknown as VirtualService[];
    const dr = docs.filter((d) => d.kind === 'DestinationRule') as unknown as DestinationRule[];
    expect(vs.map((o) => o.metadata.name)).toEqual([expect.stringMatching(/^orders-shop-production/)]);
    expect(dr.map((o) => o.metadata.name)).toEqual(vs.map((o) => o.metadata.name));
    const http = vs[0]?.spec.http ?? [];
    expect(http.some((route) => route.retries?.attempts === 3)).toBe(true);
    expect(http.some((route) => route.fault?.abort?.httpStatus === 503)).toBe(true);
    expect(dr[0]?.spec.trafficPolicy).toEqual({ loadBalancer: { simple: 'RANDOM' } });
    expect(vs[0]?.metadata.annotations[GOVERNANCE_RULES_ANNOTATION]).toContain('retry/orders-api');
    assertValidIstioObjects(docs);
    assertValidGovernanceObjects([...vs, ...dr]);
    expect(r.stderr).toMatch(/^governance: 6 rules: /m);
    expect(r.stderr).toMatch(/^governance: retry\/orders-api for production\/shop\/orders: (exact|approximate) → VirtualService$/m);
  });

  it('renders nothing of governance without the flag', async () => {
    const r = await runCli(['render', '--input', DUMP]);
    expect(docsOf(r.stdout).some((d) => d.kind === 'VirtualService')).toBe(false);
    expect(r.stderr).not.toContain('governance');
  });

  it('writes every rule\'s fate to --report, and the EnvoyFilter only with rate limiting', async () => {
    const rules = JSON.parse(await readFile(RULES, 'utf8')) as Record<string, unknown[]>;
    const limit = { ...(rules['retry']?.[0] as object), id: 'rl-1', kind: 'rate-limiting', spec: { rate: 50 } };
    const file = path.join(tmp, 'limits.json');
    await writeFile(file, JSON.stringify({ ...rules, 'rate-limiting': [limit] }));
    const report = path.join(tmp, 'report.json');
    const off = await runCli(['render', '--input', DUMP, '--governance', file, '--report', report, '-o', 'json']);
    expect(off.code).toBe(0);
    const items = (JSON.parse(off.stdout) as { items: Doc[] }).items;
    expect(items.some((d) => d.kind === 'EnvoyFilter')).toBe(false);
    const written = JSON.parse(await readFile(report, 'utf8')) as RenderReport;
    const limitRow = written.governance?.rows.find((row) => row.kind === 'rate-limiting' && row.service === 'production/shop/orders');
    expect(limitRow?.fit).toBe('not-mapped');
    expect(written.governance?.counts).toMatchObject({ rules: 7, rejected: 0 });

    const on = await runCli(['render', '--input', DUMP, '--governance', file, '--governance-rate-limiting']);
    expect(on.code).toBe(0);
    const filters = docsOf(on.stdout).filter((d) => d.kind === 'EnvoyFilter');
    // Rate limiting is provider-side: the group's serviceName names the caller, so every HTTP provider of the app is limited.
    expect(filters.length).toBeGreaterThan(0);
    expect(new Set(filters.map((d) => d.metadata.namespace))).toEqual(new Set(['istio-system']));
    assertValidGovernanceObjects(filters);
  });

  it('exits 3 naming a refused rule, and 1 for a file that is not a rules file', async () => {
    const bad = path.join(tmp, 'bad-rule.json');
    await writeFile(bad, JSON.stringify({ retry: [{ name: 'r', id: 'r1', status: 'enabled', selector: { app: 'shop', environment: 'production' }, spec: { maxAttempts: 'many' } }] }));
    const refused = await runCli(['render', '--input', DUMP, '--governance', bad]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/governance: rejected retry "r" \(id r1\): spec\.maxAttempts: .*"many"/);

    const wrongKind = path.join(tmp, 'wrong-kind.json');
    await writeFile(wrongKind, JSON.stringify({ retries: [] }));
    const notRules = await runCli(['render', '--input', DUMP, '--governance', wrongKind]);
    expect(notRules.code).toBe(1);
    expect(notRules.stderr).toContain('--governance');
    expect(notRules.stderr).toContain('retries: not a governance kind');
    const alone = await runCli(['render', '--input', DUMP, '--governance-rate-limiting']);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain('--governance-rate-limiting: needs --governance RULES');
  });
});

describe('sc2mesh governance', () => {
  it('prints every rule\'s fate per service as JSON, from files', async () => {
    const r = await runCli(['governance', '--input', RULES, '--dump', DUMP, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as GovernanceOutput;
    expect(out.source).toEqual({ rules: RULES, services: DUMP });
    expect(out.counts).toMatchObject({ rules: 6, rejected: 0, disabled: 0 });
    const lb = out.rows.find((row) => row.kind === 'loadbalance' && row.service === 'production/shop/orders');
    expect(lb).toMatchObject({ fit: 'exact', shaped: ['DestinationRule'] });
    for (const row of out.rows) if (row.fit === 'approximate' || row.fit === 'not-mapped') expect(row.notes.length).toBeGreaterThan(0);
  });

  it('prints a table, and reads the same from the registry', async () => {
    const table = await runCli(['governance', '--input', RULES, '--dump', DUMP]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^rule\s+service\s+fit\s+objects\s+what differs \/ why$/m);
    expect(table.stdout).toMatch(/^loadbalance\/orders-all\s+production\/shop\/orders\s+exact\s+DestinationRule/m);
    const fromFiles = JSON.parse((await runCli(['governance', '--input', RULES, '--dump', DUMP, '--json'])).stdout) as GovernanceOutput;
    const live = await runCli(['governance', '--registry', sim.baseUrl, '--json']);
    expect(live.code).toBe(0);
    const fromRegistry = JSON.parse(live.stdout) as GovernanceOutput;
    expect(fromRegistry.rows).toEqual(fromFiles.rows);
    expect(fromRegistry.unavailable).toEqual([]);
  });

  it('exits 1 when the registry cannot be read', async () => {
    const gone = await runCli(['governance', '--registry', 'http://127.0.0.1:9', '--registry-timeout-ms', '300']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('unreadable');
  });
});
