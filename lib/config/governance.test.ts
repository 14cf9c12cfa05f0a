// governance.enabled and governance.rateLimiting: off unless asked, from every layer, with
// a wrong value reported under the name the user wrote.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { Command } from 'commander';
import { addConfigFlags, flagsToConfigInput } from './flags.ts';
import { loadConfig } from './load.ts';
import { managedKinds } from './managed-kinds.ts';
import { DEFAULT_CONFIG } from './schema.ts';
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

describe('governance settings', () => {
  it('are off by default: the rules were written for ServiceComb callers', async () => {
    const config = await loadConfig({ env, cwd: CWD });
    expect(config.governance).toEqual({ enabled: false, rateLimiting: false, rateLimitNamespace: 'istio-system' });
  });

  it('are read from the file, the environment and flags, the flag winning', async () => {
    const file = await tmp.write('gov.yaml', 'governance:\n  enabled: true\n');
    expect((await loadConfig({ configFile: file, env, cwd: CWD })).governance).toEqual({ enabled: true, rateLimiting: false, rateLimitNamespace: 'istio-system' });
    const fromEnv = await loadConfig({ env: { ...env, SC2MESH_GOVERNANCE_ENABLED: 'true', SC2MESH_GOVERNANCE_RATE_LIMITING: '1' }, cwd: CWD });
    expect(fromEnv.governance).toEqual({ enabled: true, rateLimiting: true, rateLimitNamespace: 'istio-system' });

    const cmd = addConfigFlags(new Command('t').exitOverride(), ['governance']);
    cmd.parse(['--governance-enabled', '--governance-rate-limiting'], { from: 'user' });
    const input = flagsToConfigInput(cmd.opts());
    expect(input).toEqual({ 'governance.enabled': true, 'governance.rateLimiting': true });
    const withFlags = await loadConfig({ configFile: file, flags: input, env: { ...env, SC2MESH_GOVERNANCE_ENABLED: 'false' }, cwd: CWD });
    expect(withFlags.governance).toEqual({ enabled: true, rateLimiting: true, rateLimitNamespace: 'istio-system' });
  });

  it('name the variable and the value when it is not a boolean', async () => {
    await expectConfigError(loadConfig({ env: { ...env, SC2MESH_GOVERNANCE_ENABLED: 'on' }, cwd: CWD }), {
      key: 'SC2MESH_GOVERNANCE_ENABLED',
      source: 'env',
      says: ['"on"', 'true, false, 1 or 0'],
    });
    const file = await tmp.write('bad.yaml', 'governance:\n  enabled: yes please\n  rateLimting: true\n');
    await expectConfigError(loadConfig({ configFile: file, env, cwd: CWD }), { key: 'governance.enabled', source: 'file' });
    const typo = await tmp.write('typo.yaml', 'governance:\n  rateLimting: true\n');
    await expectConfigError(loadConfig({ configFile: typo, env, cwd: CWD }), { key: 'governance.rateLimting', source: 'file' });
    await expectConfigError(loadConfig({ env: { ...env, SC2MESH_GOVERNANCE_RATE_LIMIT_NAMESPACE: 'Istio_System' }, cwd: CWD }), {
      key: 'SC2MESH_GOVERNANCE_RATE_LIMIT_NAMESPACE',
      source: 'env',
      says: ['"Istio_System"', 'namespace name'],
    });
  });

  it('decide the kinds listed, written and pruned', () => {
    const render = DEFAULT_CONFIG.render;
    expect(managedKinds({ render, governance: { enabled: false, rateLimiting: false } })).toEqual(['ServiceEntry', 'WorkloadEntry']);
    expect(managedKinds({ render: { ...render, destinationRules: true }, governance: { enabled: false, rateLimiting: true } })).toEqual(['ServiceEntry', 'WorkloadEntry', 'DestinationRule']);
    // Governance writes a DestinationRule for a traffic policy even when render writes none.
    expect(managedKinds({ render, governance: { enabled: true, rateLimiting: false } })).toEqual(['ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService']);
  });

  it('are documented in the reference table', () => {
    const table = configReferenceMarkdown();
    expect(table).toContain('| `governance.enabled` | `SC2MESH_GOVERNANCE_ENABLED` | `--governance-enabled` | `false` |');
    expect(table).toContain('| `governance.rateLimiting` | `SC2MESH_GOVERNANCE_RATE_LIMITING` | `--governance-rate-limiting` | `false` |');
  });
});
