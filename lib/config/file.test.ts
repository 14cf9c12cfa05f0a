import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from './load.ts';
import { expectConfigError, scratch, type Scratch } from '../../test/support/config-expect.ts';

const env = { HOME: '/home/tester' };
const CWD = '/srv/sc2mesh';

const YAML_TEXT = `# a full-ish file
registry:
  addresses: [https://sc-a:30100, https://sc-b:30100]
  domain: tenant-a
  username: sync
  passwordFile: secrets/registry.pw
  timeoutMs: 5000
render:
  namespace: mesh-a
  extraLabels: { team: payments }
  exportTo: ['.']
kube:
  mode: in-cluster
  qps: 7.5
state:
  table: sc2mesh-state
  region: eu-west-1
log:
  level: debug
`;

const JSON_TEXT = JSON.stringify({
  registry: {
    addresses: ['https://sc-a:30100', 'https://sc-b:30100'],
    domain: 'tenant-a',
    username: 'sync',
    passwordFile: 'secrets/registry.pw',
    timeoutMs: 5000,
  },
  render: { namespace: 'mesh-a', extraLabels: { team: 'payments' }, exportTo: ['.'] },
  kube: { mode: 'in-cluster', qps: 7.5 },
  state: { table: 'sc2mesh-state', region: 'eu-west-1' },
  log: { level: 'debug' },
});

let tmp: Scratch;
beforeAll(async () => {
  tmp = await scratch();
  await mkdir(path.join(tmp.dir, 'secrets'));
  await tmp.write('secrets/registry.pw', 'hunter2\n');
});
afterAll(async () => {
  await tmp.remove();
});

describe('config files', () => {
  it('reads YAML and JSON to the same configuration', async () => {
    const fromYaml = await loadConfig({ configFile: await tmp.write('sc2mesh.yaml', YAML_TEXT), env, cwd: CWD });
    const fromJson = await loadConfig({ configFile: await tmp.write('sc2mesh.json', JSON_TEXT), env, cwd: CWD });
    expect(fromJson).toEqual(fromYaml);
    expect(fromYaml.registry).toMatchObject({ addresses: ['https://sc-a:30100', 'https://sc-b:30100'], domain: 'tenant-a', timeoutMs: 5000 });
    expect(fromYaml.render).toMatchObject({ namespace: 'mesh-a', extraLabels: { team: 'payments' }, exportTo: ['.'] });
    expect(fromYaml.kube).toMatchObject({ mode: 'in-cluster', qps: 7.5, burst: 300 });
    expect(fromYaml.log.level).toBe('debug');
  });

  it('resolves relative paths in the file against the file, not cwd', async () => {
    const config = await loadConfig({ configFile: await tmp.write('relative.yaml', YAML_TEXT), env, cwd: CWD });
    expect(config.registry.passwordFile).toBe(path.join(tmp.dir, 'secrets', 'registry.pw'));
    expect(config.registry.password).toBe('hunter2');
  });

  it('names a misspelt key and the file', async () => {
    const file = await tmp.write('typo.yaml', 'kube:\n  qsp: 5\n');
    const error = await expectConfigError(loadConfig({ configFile: file, env, cwd: CWD }), { key: 'kube.qsp', source: 'file', says: ['kube.qsp', file, 'unknown key'] });
    expect(error.file).toBe(file);
    await expectConfigError(loadConfig({ configFile: await tmp.write('section.yaml', 'kubernetes: {}\n'), env, cwd: CWD }), { key: 'kubernetes', source: 'file' });
    await expectConfigError(loadConfig({ configFile: await tmp.write('render-typo.yaml', 'render:\n  namespce: x\n'), env, cwd: CWD }), {
      key: 'render.namespce',
      source: 'file',
    });
  });

  it('keeps types strict: a quoted number is not a number', async () => {
    await expectConfigError(loadConfig({ configFile: await tmp.write('quoted.yaml', 'kube:\n  qps: "5"\n'), env, cwd: CWD }), {
      key: 'kube.qps',
      source: 'file',
      says: ['expected a number', '"5"'],
    });
    await expectConfigError(loadConfig({ configFile: await tmp.write('range.json', '{"guard":{"maxDeleteShare":1.5}}'), env, cwd: CWD }), {
      key: 'guard.maxDeleteShare',
      source: 'file',
      says: ['between 0 and 1', '1.5'],
    });
    await expectConfigError(loadConfig({ configFile: await tmp.write('label.yaml', 'render:\n  extraLabels:\n    team: "a b"\n'), env, cwd: CWD }), {
      key: 'render.extraLabels.team',
      source: 'file',
      says: ['label value'],
    });
  });

  it('never prints a secret, even a misplaced or mistyped one', async () => {
    await expectConfigError(loadConfig({ configFile: await tmp.write('pw-type.yaml', 'registry:\n  password: 31415926\n'), env, cwd: CWD }), {
      key: 'registry.password',
      source: 'file',
      says: ['[redacted]'],
      hides: ['31415926'],
    });
    await expectConfigError(loadConfig({ configFile: await tmp.write('pw-typo.yaml', 'registry:\n  pasword: hunter2\n'), env, cwd: CWD }), {
      key: 'registry.pasword',
      source: 'file',
      hides: ['hunter2'],
    });
  });

  it('names a missing file, as --config or as SC2MESH_CONFIG', async () => {
    const missing = path.join(tmp.dir, 'absent.yaml');
    await expectConfigError(loadConfig({ configFile: missing, env, cwd: CWD }), { key: '--config', source: 'flag', says: [missing, 'no such file'] });
    await expectConfigError(loadConfig({ env: { ...env, SC2MESH_CONFIG: 'conf/absent.yaml' }, cwd: CWD }), {
      key: 'SC2MESH_CONFIG',
      source: 'env',
      says: ['"conf/absent.yaml"', `${CWD}/conf/absent.yaml`],
    });
  });

  it('reports syntax errors with the file and the line', async () => {
    await expectConfigError(loadConfig({ configFile: await tmp.write('broken.yaml', 'kube:\n  qps: [1\n'), env, cwd: CWD }), {
      key: path.join(tmp.dir, 'broken.yaml'),
      source: 'file',
      says: ['not valid YAML', 'line'],
    });
    await expectConfigError(loadConfig({ configFile: await tmp.write('dup.yaml', 'kube:\n  qps: 1\n  qps: 2\n'), env, cwd: CWD }), {
      key: path.join(tmp.dir, 'dup.yaml'),
      source: 'file',
      says: ['unique'],
    });
    await expectConfigError(loadConfig({ configFile: await tmp.write('broken.json', '{"kube": {'), env, cwd: CWD }), {
      key: path.join(tmp.dir, 'broken.json'),
      source: 'file',
      says: ['not valid JSON'],
    });
    await expectConfigError(loadConfig({ configFile: await tmp.write('list.yaml', '- kube\n'), env, cwd: CWD }), {
      key: path.join(tmp.dir, 'list.yaml'),
      source: 'file',
      says: ['mapping'],
    });
  });

  it('accepts an empty file as no settings', async () => {
    const config = await loadConfig({ configFile: await tmp.write('empty.yaml', '# nothing yet\n'), env, cwd: CWD });
    expect(config.kube.qps).toBe(50);
  });

  it('checks an overridden file value too: a broken file is broken', async () => {
    await expectConfigError(
      loadConfig({ configFile: await tmp.write('overridden.yaml', 'server:\n  port: -1\n'), env: { ...env, SC2MESH_SERVER_PORT: '8080' }, cwd: CWD }),
      { key: 'server.port', source: 'file', says: ['-1'] },
    );
  });
});
