import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { runCli } from '../support/run-cli.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import type { FootprintOutput } from '../../lib/cli/footprint-command.ts';

const FIXTURE = 'lib/demo/sample-registry.json';
const WITH_BAD = 'test/fixtures/registry-dump-with-bad-services.json';

const json = (stdout: string): FootprintOutput => JSON.parse(stdout) as FootprintOutput;

describe('sc2mesh footprint', () => {
  let sim: RegistrySimulator;
  // Hermetic: no SC2MESH_* setting of the developer's shell reaches the command.
  const saved = { ...process.env };
  beforeAll(async () => {
    for (const name of Object.keys(process.env)) if (name.startsWith('SC2MESH_') && name !== 'SC2MESH_SHARED_DIR') delete process.env[name];
    sim = await startRegistrySimulator({ seed: JSON.parse(await readFile(FIXTURE, 'utf8')) as unknown });
  });
  afterAll(async () => {
    await sim.close();
    Object.assign(process.env, saved);
  });

  it('reports per exportTo namespace and with everything visible, from a dump', async () => {
    const r = await runCli(['footprint', '--input', FIXTURE, '--json', '--destination-rules', '--export-to-app', 'shop=shop-web,istio-system', '--export-to-app', 'bank=.']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out.source).toEqual({ input: FIXTURE });
    expect(out.config).toMatchObject({ namespace: 'sc2mesh', exportToByApp: { shop: ['shop-web', 'istio-system'], bank: ['.'] }, destinationRules: true, subsets: 'multi-version' });
    expect(out.scoped.map((row) => row.namespace)).toEqual(['istio-system', 'sc2mesh', 'shop-web', '*']);
    const all = out.everythingVisible;
    expect(all.serviceEntries).toBe(out.objects.serviceEntries);
    for (const row of out.scoped) {
      expect(row.clusters).toBeLessThanOrEqual(all.clusters);
      expect(row.envoyBytes).toBe(row.clusters * 42_000 + row.endpoints * 3_000);
    }
    // every app of the sample is scoped: a namespace no exportTo names sees none of it
    expect(out.scoped.find((row) => row.namespace === '*')).toMatchObject({ serviceEntries: 0, clusters: 0 });
    expect(out.figures.map((f) => f.id)).toEqual(['envoyClusterBytes', 'envoyEndpointBytes', 'istioClusterBytes']);
  });

  it('prints a table, the figures with their sources, and says it is an estimate', async () => {
    const r = await runCli(['footprint', '--input', FIXTURE, '--export-to-app', 'shop=shop-web']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('an estimate from published per-cluster and per-endpoint figures, not a measurement');
    expect(r.stdout).toMatch(/^shop-web\s+\d+\s+\d+\s+\d+/m);
    expect(r.stdout).toMatch(/^\* \(every other namespace\)\s+\d+/m);
    expect(r.stdout).toMatch(/^everything visible \(no exportTo\)\s+\d+/m);
    expect(r.stdout).toContain('envoyClusterBytes = 42000 B per Envoy cluster: envoyproxy/envoy test/integration/stats_integration_test.cc @006bbc36');
    expect(r.stdout).toContain('aeraki-mesh/lazyxds @f33f640c');
  });

  it('reads the registry itself with --registry, to the same figures as its dump', async () => {
    const fromRegistry = await runCli(['footprint', '--registry', sim.baseUrl, '--json', '--export-to-app', 'shop=shop-web']);
    expect(fromRegistry.code).toBe(0);
    const fromDump = await runCli(['footprint', '--input', FIXTURE, '--json', '--export-to-app', 'shop=shop-web']);
    const a = json(fromRegistry.stdout);
    const b = json(fromDump.stdout);
    expect(a.source).toEqual({ registry: [sim.baseUrl] });
    expect(a.scoped).toEqual(b.scoped);
    expect(a.everythingVisible).toEqual(b.everythingVisible);
  });

  it('exits 3 and names what it could not count', async () => {
    const r = await runCli(['footprint', '--input', WITH_BAD, '--json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('skipped shop/42@1.0.0');
    expect(json(r.stdout).skipped).toEqual({ services: 1, instances: 1 });
  });

  it('exits 1 naming the flag and the value for bad input', async () => {
    const bad = await runCli(['footprint', '--input', FIXTURE, '--export-to-app', 'shop=Shop-Web']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('sc2mesh: invalid configuration: --export-to-app (key "shop[0]"): must be ".", "*", "~" or a namespace name (a DNS-1123 label: lower-case letters, digits, "-", at most 63) (got "Shop-Web")\n');
    const both = await runCli(['footprint', '--input', FIXTURE, '--registry', sim.baseUrl]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('--input and --registry name two sources');
    const gone = await runCli(['footprint', '--registry', 'http://127.0.0.1:9', '--registry-timeout-ms', '300']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^sc2mesh: registry http:\/\/127\.0\.0\.1:9 unreadable: /);
    const missing = await runCli(['footprint', '--input', 'no/such/file.json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--input "no/such/file.json": cannot read');
  });
});
