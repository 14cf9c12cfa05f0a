import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { parse } from 'yaml';
import { describeConfig } from './describe.ts';
import { loadConfig } from './load.ts';
import { CONFIG_KEYS, envNameOf } from './keys.ts';
import { configReferenceMarkdown } from './reference.ts';
import { ConfigLayerSchema, DEFAULT_CONFIG } from './schema.ts';
import { expectConfigError, scratch, type Scratch } from '../../test/support/config-expect.ts';

const env = { HOME: '/home/tester' };

let tmp: Scratch;
beforeAll(async () => {
  tmp = await scratch();
});
afterAll(async () => {
  await tmp.remove();
});

/** Leaf paths of a complete config; lists and the render maps are single keys. */
const MAP_KEYS = new Set(['render.extraLabels', 'render.exportToByApp', 'sidecars.namespaceByApp']);
function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || MAP_KEYS.has(prefix)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix === '' ? k : `${prefix}.${k}`));
}

describe('describeConfig', () => {
  it('redacts the password and annotates where non-default values came from', async () => {
    const pw = await tmp.write('pw', 'correct-horse\n');
    const config = await loadConfig({ env: { ...env, SC2MESH_REGISTRY_USERNAME: 'sync', SC2MESH_REGISTRY_PASSWORD_FILE: pw, SC2MESH_KUBE_QPS: '5' }, flags: { out: '/tmp/m' }, cwd: '/srv' });
    expect(config.registry.password).toBe('correct-horse');
    const text = describeConfig(config);
    expect(text).not.toContain('correct-horse');
    expect(text).toContain('password: "[redacted]"');
    expect(text).toContain('qps: 5 # env SC2MESH_KUBE_QPS');
    expect(text).toContain('out: /tmp/m # flag --out');
    expect(text).toMatch(/burst: 300\n/);
    // the config object itself keeps the secret: redaction works on a copy
    expect(config.registry.password).toBe('correct-horse');
  });

  it('also redacts a password set directly', async () => {
    const config = await loadConfig({ env: { ...env, SC2MESH_REGISTRY_USERNAME: 'sync', SC2MESH_REGISTRY_PASSWORD: 'tr0ub4dor' }, cwd: '/srv' });
    const text = describeConfig(config);
    expect(text).not.toContain('tr0ub4dor');
    expect(parse(text).registry.password).toBe('[redacted]');
    expect(parse(describeConfig({ ...config, registry: { ...config.registry, password: '' } })).registry.password).toBe('');
  });

  it('refuses the redaction placeholder as a password when the output is loaded back', async () => {
    const config = await loadConfig({ env: { ...env, SC2MESH_REGISTRY_USERNAME: 'sync', SC2MESH_REGISTRY_PASSWORD: 'tr0ub4dor' }, cwd: '/srv' });
    const file = await tmp.write('printed-secret.yaml', describeConfig(config));
    await expectConfigError(loadConfig({ configFile: file, env, cwd: '/srv' }), { key: 'registry.password', source: 'file', says: ['placeholder'] });
  });

  it('prints YAML that loads back to the same configuration', async () => {
    const config = await loadConfig({
      env: { ...env, SC2MESH_RENDER_EXTRA_LABELS: 'team=a', SC2MESH_RENDER_EXPORT_TO: '.,istio-system', SC2MESH_REGISTRY_ADDRESSES: 'http://a:1,http://b:2', SC2MESH_GUARD_MAX_DELETE_SHARE: '0.3' },
      flags: { 'kube.mode': 'in-cluster', 'log.level': 'debug' },
      cwd: '/srv',
    });
    const file = await tmp.write('printed.yaml', describeConfig(config));
    const again = await loadConfig({ configFile: file, env, cwd: '/elsewhere' });
    expect(again).toEqual(config);
  });
});

describe('the key catalogue', () => {
  it('covers exactly the keys of the schema, in schema order', () => {
    expect(CONFIG_KEYS.map((k) => k.path)).toEqual(leafPaths(DEFAULT_CONFIG));
    for (const key of CONFIG_KEYS) {
      const nested: Record<string, unknown> = {};
      let cur = nested;
      const parts = key.path.split('.');
      for (const part of parts.slice(0, -1)) cur = (cur[part] = {}) as Record<string, unknown>;
      cur[parts[parts.length - 1] as string] = undefined;
      expect(ConfigLayerSchema.safeParse(nested).success).toBe(true);
    }
  });

  it('derives variable names from the path', () => {
    expect(envNameOf('kube.eks.clusterName')).toBe('SC2MESH_KUBE_EKS_CLUSTER_NAME');
    expect(envNameOf('registry.insecureSkipVerify')).toBe('SC2MESH_REGISTRY_INSECURE_SKIP_VERIFY');
    expect(envNameOf('out')).toBe('SC2MESH_OUT');
    expect(CONFIG_KEYS.every((k) => k.env === envNameOf(k.path))).toBe(true);
    expect(new Set(CONFIG_KEYS.map((k) => k.env)).size).toBe(CONFIG_KEYS.length);
  });

  it('documents every key in the reference table', () => {
    const table = configReferenceMarkdown().trimEnd().split('\n');
    expect(table).toHaveLength(CONFIG_KEYS.length + 2);
    expect(table).toContain('| `kube.qps` | `SC2MESH_KUBE_QPS` | `--kube-qps <n>` | `50` | client-side rate limit on API calls per second; 0 = off |');
    expect(table.find((row) => row.startsWith('| `registry.password` '))).toContain('| `SC2MESH_REGISTRY_PASSWORD` |  |');
  });
});
