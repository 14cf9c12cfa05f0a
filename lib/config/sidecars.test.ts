// sidecars.*: off by default, read from every layer, and each value checked by the rules
// Kubernetes and Istio apply to it, so a bad one is reported here, not by the API server.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { Command } from 'commander';
import { addConfigFlags, flagsToConfigInput } from './flags.ts';
import { loadConfig } from './load.ts';
import { configReferenceMarkdown } from './reference.ts';
import { expectConfigError, scratch, type Scratch } from '../../test/support/config-expect.ts';

const env = { HOME: '/home/tester' };
const CWD = '/srv/sc2mesh';

let tmp: Scratch;
beforeAll(async () => {
  tmp = await scratch();
});
afterAll(async () => {
  await tmp.remove();
});

describe('sidecars settings', () => {
  it('are off by default, with the hosts every Sidecar keeps', async () => {
    const config = await loadConfig({ env, cwd: CWD });
    expect(config.sidecars).toEqual({ enabled: false, namespaceByApp: {}, selectorLabel: 'app', alwaysHosts: ['istio-system/*', './*'] });
  });

  it('are read from the file, the environment and flags, the flag winning', async () => {
    const file = await tmp.write('sc.yaml', 'sidecars:\n  enabled: true\n  namespaceByApp:\n    shop: shop-mesh\n    prod/bank: bank\n  selectorLabel: app.kubernetes.io/name\n');
    const fromFile = await loadConfig({ configFile: file, env, cwd: CWD });
    expect(fromFile.sidecars).toEqual({ enabled: true, namespaceByApp: { shop: 'shop-mesh', 'prod/bank': 'bank' }, selectorLabel: 'app.kubernetes.io/name', alwaysHosts: ['istio-system/*', './*'] });

    const fromEnv = await loadConfig({ env: { ...env, SC2MESH_SIDECARS_ENABLED: 'true', SC2MESH_SIDECARS_NAMESPACE_BY_APP: 'shop=web', SC2MESH_SIDECARS_ALWAYS_HOSTS: 'istio-system/*,monitoring/*' }, cwd: CWD });
    expect(fromEnv.sidecars).toMatchObject({ enabled: true, namespaceByApp: { shop: 'web' }, alwaysHosts: ['istio-system/*', 'monitoring/*'] });

    const cmd = addConfigFlags(new Command('t').exitOverride(), ['sidecars']);
    cmd.parse(['--sidecars-enabled', '--sidecar-namespace', 'shop=web', '--sidecar-namespace', 'media=tv', '--sidecar-always-host', '~/*'], { from: 'user' });
    const withFlags = await loadConfig({ configFile: file, flags: flagsToConfigInput(cmd.opts()), env, cwd: CWD });
    expect(withFlags.sidecars).toMatchObject({ enabled: true, namespaceByApp: { shop: 'web', media: 'tv' }, alwaysHosts: ['~/*'] });
  });

  it('name the key and the value when one breaks a Kubernetes or Istio rule', async () => {
    await expectConfigError(loadConfig({ env: { ...env, SC2MESH_SIDECARS_NAMESPACE_BY_APP: 'shop=Shop_Web' }, cwd: CWD }), {
      key: 'SC2MESH_SIDECARS_NAMESPACE_BY_APP (key "shop")',
      source: 'env',
      says: ['"Shop_Web"', 'namespace name'],
    });
    await expectConfigError(loadConfig({ env: { ...env, SC2MESH_SIDECARS_ALWAYS_HOSTS: 'istio-system' }, cwd: CWD }), {
      key: 'SC2MESH_SIDECARS_ALWAYS_HOSTS[0]',
      source: 'env',
      says: ['"istio-system"', 'namespace/host'],
    });
    await expectConfigError(loadConfig({ env: { ...env, SC2MESH_SIDECARS_SELECTOR_LABEL: 'not a label' }, cwd: CWD }), {
      key: 'SC2MESH_SIDECARS_SELECTOR_LABEL',
      source: 'env',
      says: ['"not a label"', 'label key'],
    });
    const typo = await tmp.write('typo.yaml', 'sidecars:\n  enabeld: true\n');
    await expectConfigError(loadConfig({ configFile: typo, env, cwd: CWD }), { key: 'sidecars.enabeld', source: 'file' });
  });

  it('are documented in the reference table', () => {
    const table = configReferenceMarkdown();
    expect(table).toContain('| `sidecars.enabled` | `SC2MESH_SIDECARS_ENABLED` | `--sidecars-enabled` | `false` |');
    expect(table).toContain('`sidecars.namespaceByApp`');
  });
});

describe('kinds and namespaces the writer is given', () => {
  it('add Sidecar and EnvoyFilter only when their features are on, and say where each may go', async () => {
    const { managedKinds, writerNamespaces } = await import('./managed-kinds.ts');
    const base = await loadConfig({ env, cwd: CWD });
    expect(managedKinds(base)).toEqual(['ServiceEntry', 'WorkloadEntry']);
    const on = { ...base, governance: { ...base.governance, enabled: true, rateLimiting: true }, sidecars: { ...base.sidecars, enabled: true, namespaceByApp: { shop: 'web', media: 'tv', 'prod/shop': 'web' } } };
    expect(managedKinds(on)).toEqual(['ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService', 'EnvoyFilter', 'Sidecar']);
    expect(writerNamespaces(on)).toEqual({ EnvoyFilter: ['istio-system'], Sidecar: ['tv', 'web'] });
    // Rate limiting off: the namespace stays allowed so recorded EnvoyFilters can be deleted.
    expect(writerNamespaces(base)).toEqual({ EnvoyFilter: ['istio-system'] });
  });
});
