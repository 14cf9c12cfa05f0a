// `sc2mesh render --governance RULES --governance-rate-limiting`: each EnvoyFilter is printed
// once, as one of its service's objects right after its VirtualService, in the namespace
// --governance-rate-limit-namespace names (default istio-system); the JSON report is the
// same with and without the flag's namespace; a bad namespace is refused naming the flag.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { RenderReport } from '../../lib/cli/render-command.ts';
import { assertValidIstioObjects } from '../../lib/istio-validator/index.ts';
import { assertValidGovernanceObjects } from '../support/governance-crds.ts';
import { runCli } from '../support/run-cli.ts';

const DUMP = 'lib/demo/sample-registry.json';
const SHOP = { app: 'shop', environment: 'production' };

interface Doc {
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
}

const docsOf = (stdout: string): Doc[] => parseAllDocuments(stdout).map((d) => d.toJS() as Doc);
const keyOf = (d: Doc): string => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`;

let tmp: string;
let rules: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sc2mesh-render-rate-limit-'));
  rules = path.join(tmp, 'rules.json');
  const rule = (kind: string, spec: object) => ({ name: 'api', id: `${kind}-1`, status: 'enabled', creatTime: 1, updateTime: 1, selector: SHOP, kind, spec });
  await writeFile(rules, JSON.stringify({ 'match-group': [rule('match-group', { alias: 'api', matches: [{ name: 'api', apiPath: { prefix: '/api' } }] })], 'rate-limiting': [rule('rate-limiting', { rate: 20 })] }));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('sc2mesh render --governance-rate-limiting', () => {
  it('prints each EnvoyFilter once, right after its service\'s VirtualService', async () => {
    const r = await runCli(['render', '--input', DUMP, '--governance', rules, '--governance-rate-limiting']);
    expect(r.code).toBe(0);
    const docs = docsOf(r.stdout);
    const keys = docs.map(keyOf);
    expect(new Set(keys).size).toBe(keys.length);
    const filters = docs.filter((d) => d.kind === 'EnvoyFilter');
    // Rate limiting is provider-side: every HTTP provider of the app is limited.
    expect(filters.length).toBeGreaterThan(1);
    for (const f of filters) {
      expect(f.metadata.namespace).toBe('istio-system');
      const at = docs.indexOf(f);
      expect(docs[at - 1]).toMatchObject({ kind: 'VirtualService', metadata: { name: f.metadata.name } });
    }
    assertValidIstioObjects(docs);
    assertValidGovernanceObjects(filters);
  });

  it('writes them to --governance-rate-limit-namespace, the report unchanged', async () => {
    const reportOf = async (extra: string[]): Promise<{ docs: Doc[]; report: RenderReport }> => {
      const file = path.join(tmp, `report-${extra.length}.json`);
      const r = await runCli(['render', '--input', DUMP, '--governance', rules, '--governance-rate-limiting', '--report', file, '-o', 'json', ...extra]);
      expect(r.code).toBe(0);
      return { docs: (JSON.parse(r.stdout) as { items: Doc[] }).items, report: JSON.parse(await readFile(file, 'utf8')) as RenderReport };
    };
    const plain = await reportOf([]);
    const elsewhere = await reportOf(['--governance-rate-limit-namespace', 'mesh-root']);
    expect(new Set(elsewhere.docs.filter((d) => d.kind === 'EnvoyFilter').map((d) => d.metadata.namespace))).toEqual(new Set(['mesh-root']));
    expect(elsewhere.docs.filter((d) => d.kind !== 'EnvoyFilter')).toEqual(plain.docs.filter((d) => d.kind !== 'EnvoyFilter'));
    expect(elsewhere.report).toEqual(plain.report);
    const limited = plain.report.governance?.rows.filter((row) => row.kind === 'rate-limiting' && row.shaped.includes('EnvoyFilter')) ?? [];
    expect(limited.length).toBe(plain.docs.filter((d) => d.kind === 'EnvoyFilter').length);
  });

  it('refuses a namespace that is no namespace name, or without rate limiting', async () => {
    const bad = await runCli(['render', '--input', DUMP, '--governance', rules, '--governance-rate-limiting', '--governance-rate-limit-namespace', 'Istio_System']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--governance-rate-limit-namespace "Istio_System": not a namespace name');
    const alone = await runCli(['render', '--input', DUMP, '--governance', rules, '--governance-rate-limit-namespace', 'mesh-root']);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain('--governance-rate-limit-namespace: needs --governance-rate-limiting');
  });
});
