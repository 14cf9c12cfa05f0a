import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import path from 'node:path';
import { DEFAULT_RENDER_OPTIONS } from '../render/options.ts';
import { configFromLambdaEnv, loadConfig } from './load.ts';
import { configOrigin } from './provenance.ts';
import { flagsToConfigInput } from './flags.ts';
import { expectConfigError, scratch, type Scratch } from '../../test/support/config-expect.ts';

const HOME = '/home/tester';
const CWD = '/srv/sc2mesh';
const baseEnv = { HOME };

let tmp: Scratch;
beforeAll(async () => {
  tmp = await scratch();
});
afterAll(async () => {
  await tmp.remove();
});

describe('defaults', () => {
  it('fills every section, with paths made absolute', async () => {
    const config = await loadConfig({ env: baseEnv, cwd: CWD });
    expect(config.registry).toEqual({
      addresses: ['http://127.0.0.1:30100'],
      domain: 'default',
      project: 'default',
      username: '',
      password: '',
      passwordFile: '',
      caFile: '',
      insecureSkipVerify: false,
      timeoutMs: 10000,
      listIntervalMs: 5000,
      breakerFailures: 3,
      breakerCoolDownMs: 10000,
      watcherServiceName: 'sc2mesh-watcher',
    });
    expect(config.render).toEqual(DEFAULT_RENDER_OPTIONS);
    expect(config.kube).toEqual({
      mode: 'kubeconfig',
      kubeconfig: `${HOME}/.kube/config`,
      context: '',
      eks: { clusterName: '', region: '', endpoint: '', caData: '' },
      qps: 50,
      burst: 300,
      timeoutMs: 15000,
      concurrency: 16,
    });
    expect(config.out).toBe('');
    expect(config.guard).toEqual({ maxDeleteShare: 0.5, minDeletesToCheck: 10, force: false });
    expect(config.debounce).toEqual({ quietMs: 1000, maxDelayMs: 10000, maxEvents: 1000 });
    expect(config.state).toEqual({ table: '', dir: `${CWD}/.sc2mesh/state`, region: '', endpoint: '' });
    expect(config.queue).toEqual({ url: '', name: '', region: '', endpoint: '' });
    expect(config.sync).toEqual({ intervalMs: 60000 });
    expect(config.audit).toEqual({ periodMinutes: 15 });
    expect(config.server).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config.log).toEqual({ level: 'info' });
    expect(configOrigin(config, 'kube.qps')).toEqual({ source: 'default', key: 'kube.qps' });
  });

  it('takes the kubeconfig from $KUBECONFIG, keeping a list a list', async () => {
    const list = ['a/one', '/abs/two'].join(path.delimiter);
    const config = await loadConfig({ env: { ...baseEnv, KUBECONFIG: list }, cwd: CWD });
    expect(config.kube.kubeconfig).toBe([`${CWD}/a/one`, '/abs/two'].join(path.delimiter));
    expect(configOrigin(config, 'kube.kubeconfig')).toEqual({ source: 'env', key: 'KUBECONFIG' });
  });

  it('never publishes the watcher, whatever it is called', async () => {
    const config = await loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_WATCHER_SERVICE_NAME: 'my-watcher', SC2MESH_RENDER_EXCLUDE_SERVICES: 'legacy' }, cwd: CWD });
    expect(config.render.excludeServices).toEqual(['legacy', 'my-watcher']);
  });
});

describe('layers', () => {
  it('flags override the environment, which overrides the file, which overrides the defaults', async () => {
    const file = await tmp.write('layers.yaml', 'kube:\n  qps: 1\n  burst: 2\n  timeoutMs: 3\n');
    const config = await loadConfig({
      configFile: file,
      env: { ...baseEnv, SC2MESH_KUBE_QPS: '10', SC2MESH_KUBE_BURST: '20' },
      flags: { 'kube.qps': '100' },
      cwd: CWD,
    });
    expect(config.kube).toMatchObject({ qps: 100, burst: 20, timeoutMs: 3, mode: 'kubeconfig' });
    expect(configOrigin(config, 'kube.qps')).toEqual({ source: 'flag', key: '--kube-qps' });
    expect(configOrigin(config, 'kube.burst')).toEqual({ source: 'env', key: 'SC2MESH_KUBE_BURST' });
    expect(configOrigin(config, 'kube.timeoutMs')).toEqual({ source: 'file', key: 'kube.timeoutMs', file });
  });

  it('finds the file through SC2MESH_CONFIG, and --config wins over it', async () => {
    const viaEnv = await tmp.write('via-env.yaml', 'server: { port: 1111 }\n');
    const viaFlag = await tmp.write('via-flag.yaml', 'server: { port: 2222 }\n');
    expect((await loadConfig({ env: { ...baseEnv, SC2MESH_CONFIG: viaEnv }, cwd: CWD })).server.port).toBe(1111);
    expect((await loadConfig({ env: { ...baseEnv, SC2MESH_CONFIG: viaEnv }, configFile: viaFlag, cwd: CWD })).server.port).toBe(2222);
  });

  it('treats an empty variable as unset', async () => {
    const config = await loadConfig({ env: { ...baseEnv, SC2MESH_KUBE_QPS: '', SC2MESH_STATE_TABLE: ' ' }, cwd: CWD });
    expect(config.kube.qps).toBe(50);
    expect(config.state.table).toBe('');
  });

  it('resolves relative paths from flags and variables against cwd', async () => {
    const config = await loadConfig({ env: { ...baseEnv, SC2MESH_STATE_DIR: 'data/state' }, flags: { out: '~/manifests' }, cwd: CWD });
    expect(config.state.dir).toBe(`${CWD}/data/state`);
    expect(config.out).toBe(`${HOME}/manifests`);
  });
});

describe('coercion from strings', () => {
  it('rejects a variable that is not a number, naming the variable and the value', async () => {
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_KUBE_QPS: 'abc' }, cwd: CWD }), {
      key: 'SC2MESH_KUBE_QPS',
      source: 'env',
      says: ['SC2MESH_KUBE_QPS', '"abc"', 'number'],
    });
  });

  it('rejects a bad flag under the flag name', async () => {
    await expectConfigError(loadConfig({ env: baseEnv, flags: flagsToConfigInput({ kubeQps: '5x' }), cwd: CWD }), {
      key: '--kube-qps',
      source: 'flag',
      says: ['--kube-qps', '"5x"'],
    });
    await expectConfigError(loadConfig({ env: baseEnv, flags: { 'server.port': '70000' }, cwd: CWD }), {
      key: '--server-port',
      source: 'flag',
      says: ['--server-port', '65535', '70000'],
    });
  });

  it('rejects a flag path that is not a key', async () => {
    await expectConfigError(loadConfig({ env: baseEnv, flags: { 'kube.qsp': 1 }, cwd: CWD }), { key: 'kube.qsp', source: 'flag' });
  });

  it('accepts true/false/1/0 for booleans and nothing else', async () => {
    for (const [raw, expected] of [['true', true], ['1', true], ['FALSE', false], ['0', false]] as const) {
      const config = await loadConfig({ env: { ...baseEnv, SC2MESH_GUARD_FORCE: raw }, cwd: CWD });
      expect(config.guard.force).toBe(expected);
    }
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_INSECURE_SKIP_VERIFY: 'yes' }, cwd: CWD }), {
      key: 'SC2MESH_REGISTRY_INSECURE_SKIP_VERIFY',
      source: 'env',
      says: ['"yes"', 'true, false, 1 or 0'],
    });
    expect((await loadConfig({ env: baseEnv, flags: flagsToConfigInput({ force: true }), cwd: CWD })).guard.force).toBe(true);
  });

  it('splits lists on commas and checks each item', async () => {
    const config = await loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_ADDRESSES: 'http://a:30100, https://b:30100,' }, cwd: CWD });
    expect(config.registry.addresses).toEqual(['http://a:30100', 'https://b:30100']);
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_ADDRESSES: 'http://a:1,ftp://b' }, cwd: CWD }), {
      key: 'SC2MESH_REGISTRY_ADDRESSES[1]',
      source: 'env',
      says: ['"ftp://b"', 'http'],
    });
    const flagged = await loadConfig({ env: baseEnv, flags: flagsToConfigInput({ registry: ['http://a:1', 'http://b:2,http://c:3'] }), cwd: CWD });
    expect(flagged.registry.addresses).toEqual(['http://a:1', 'http://b:2', 'http://c:3']);
  });

  it('refuses credentials inside a registry URL', async () => {
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_ADDRESSES: 'http://u:pw@a:1' }, cwd: CWD }), {
      key: 'SC2MESH_REGISTRY_ADDRESSES[0]',
      source: 'env',
      says: ['without credentials'],
    });
  });

  it('reads render options from the environment through the render validator', async () => {
    const config = await loadConfig({
      env: { ...baseEnv, SC2MESH_RENDER_EXTRA_LABELS: 'team=payments,tier=gold', SC2MESH_RENDER_PUBLISH_STATUSES: 'up,testing', SC2MESH_RENDER_DESTINATION_RULES: '1' },
      cwd: CWD,
    });
    expect(config.render.extraLabels).toEqual({ team: 'payments', tier: 'gold' });
    expect(config.render.publishStatuses).toEqual(['UP', 'TESTING']);
    expect(config.render.destinationRules).toBe(true);
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_RENDER_NAMESPACE: 'Not_A_Label' }, cwd: CWD }), {
      key: 'SC2MESH_RENDER_NAMESPACE',
      source: 'env',
      says: ['DNS-1123', '"Not_A_Label"'],
    });
    await expectConfigError(loadConfig({ env: baseEnv, flags: { 'render.hostTemplate': '{service}.mesh' }, cwd: CWD }), {
      key: '--host-template',
      source: 'flag',
      says: ['{app}'],
    });
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_RENDER_EXTRA_LABELS: 'team' }, cwd: CWD }), {
      key: 'SC2MESH_RENDER_EXTRA_LABELS',
      source: 'env',
      says: ['key=value', '"team"'],
    });
  });

  it('folds the log level to lower case', async () => {
    expect((await loadConfig({ env: { ...baseEnv, SC2MESH_LOG_LEVEL: 'DEBUG' }, cwd: CWD })).log.level).toBe('debug');
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_LOG_LEVEL: 'loud' }, cwd: CWD }), { key: 'SC2MESH_LOG_LEVEL', source: 'env', says: ['"loud"', 'silent'] });
  });

  it('rejects an SC2MESH_ variable that names no key, suggesting the closest', async () => {
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_KUBE_QSP: '5' }, cwd: CWD }), {
      key: 'SC2MESH_KUBE_QSP',
      source: 'env',
      says: ['did you mean SC2MESH_KUBE_QPS'],
    });
    // variables other parts of sc2mesh own are not configuration keys, and not errors
    await expect(loadConfig({ env: { ...baseEnv, SC2MESH_SHARED_DIR: '/x' }, cwd: CWD })).resolves.toBeDefined();
  });
});

describe('cross-key rules', () => {
  it('out implies kube.mode none unless kube.mode was set', async () => {
    const config = await loadConfig({ env: baseEnv, flags: { out: 'manifests' }, cwd: CWD });
    expect(config.out).toBe(`${CWD}/manifests`);
    expect(config.kube.mode).toBe('none');
    expect((await loadConfig({ env: { ...baseEnv, SC2MESH_KUBE_MODE: 'none' }, flags: { out: 'm' }, cwd: CWD })).kube.mode).toBe('none');
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_KUBE_MODE: 'in-cluster' }, flags: { out: 'm' }, cwd: CWD }), {
      key: 'SC2MESH_KUBE_MODE',
      source: 'env',
      says: ['--out', '"in-cluster"', 'none'],
    });
  });

  it('kube.mode eks needs a cluster name and a region', async () => {
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_KUBE_MODE: 'eks' }, cwd: CWD }), {
      key: 'kube.eks.clusterName',
      source: 'default',
      says: ['SC2MESH_KUBE_EKS_CLUSTER_NAME', '--eks-cluster-name', 'SC2MESH_KUBE_MODE'],
    });
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_KUBE_MODE: 'eks', SC2MESH_KUBE_EKS_CLUSTER_NAME: 'prod' }, cwd: CWD }), {
      key: 'kube.eks.region',
      source: 'default',
      says: ['AWS_REGION'],
    });
    const config = await loadConfig({ env: { ...baseEnv, SC2MESH_KUBE_MODE: 'eks', SC2MESH_KUBE_EKS_CLUSTER_NAME: 'prod', AWS_REGION: 'eu-west-1' }, cwd: CWD });
    expect(config.kube.eks).toEqual({ clusterName: 'prod', region: 'eu-west-1', endpoint: '', caData: '' });
    expect(configOrigin(config, 'kube.eks.region')).toEqual({ source: 'env', key: 'AWS_REGION' });
    const explicit = await loadConfig({ env: { ...baseEnv, AWS_REGION: 'eu-west-1' }, flags: { 'kube.mode': 'eks', 'kube.eks.clusterName': 'prod', 'kube.eks.region': 'us-east-2' }, cwd: CWD });
    expect(explicit.kube.eks.region).toBe('us-east-2');
  });

  it('fills state.region from AWS_REGION only when a table is used', async () => {
    const env = { ...baseEnv, AWS_REGION: 'eu-central-1' };
    expect((await loadConfig({ env, cwd: CWD })).state.region).toBe('');
    expect((await loadConfig({ env: { ...env, SC2MESH_STATE_TABLE: 'sc2mesh-state' }, cwd: CWD })).state.region).toBe('eu-central-1');
    await expectConfigError(loadConfig({ env: { ...baseEnv, AWS_REGION: 'moon', SC2MESH_STATE_TABLE: 'sc2mesh-state' }, cwd: CWD }), { key: 'AWS_REGION', source: 'env' });
  });

  it('password and passwordFile are exclusive, and neither goes into the message', async () => {
    const file = await tmp.write('exclusive.pw', 'from-file\n');
    await expectConfigError(
      loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_USERNAME: 'u', SC2MESH_REGISTRY_PASSWORD: 's3cret-env', SC2MESH_REGISTRY_PASSWORD_FILE: file }, cwd: CWD }),
      { key: 'SC2MESH_REGISTRY_PASSWORD_FILE', source: 'env', says: ['SC2MESH_REGISTRY_PASSWORD'], hides: ['s3cret-env', 'from-file'] },
    );
  });

  it('a password needs a username and a username needs a password', async () => {
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_PASSWORD: 'hunter2' }, cwd: CWD }), {
      key: 'SC2MESH_REGISTRY_PASSWORD',
      source: 'env',
      says: ['registry.username'],
      hides: ['hunter2'],
    });
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_USERNAME: 'admin' }, cwd: CWD }), {
      key: 'registry.password',
      source: 'default',
      says: ['SC2MESH_REGISTRY_PASSWORD', 'SC2MESH_REGISTRY_USERNAME'],
    });
  });

  it('reads passwordFile, dropping the trailing newline', async () => {
    const file = await tmp.write('registry.pw', 'p@ss word\r\n');
    const config = await loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_USERNAME: 'admin' }, flags: { 'registry.passwordFile': file }, cwd: CWD });
    expect(config.registry.password).toBe('p@ss word');
    expect(config.registry.passwordFile).toBe(file);
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_USERNAME: 'admin' }, flags: { 'registry.passwordFile': 'missing.pw' }, cwd: tmp.dir }), {
      key: '--registry-password-file',
      source: 'flag',
      says: ['no such file', path.join(tmp.dir, 'missing.pw')],
    });
    const empty = await tmp.write('empty.pw', '\n');
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_USERNAME: 'admin', SC2MESH_REGISTRY_PASSWORD_FILE: empty }, cwd: CWD }), {
      key: 'SC2MESH_REGISTRY_PASSWORD_FILE',
      source: 'env',
      says: ['empty'],
    });
  });

  it('checks that caFile exists', async () => {
    const ca = await tmp.write('ca.pem', '-----BEGIN CERTIFICATE-----\n');
    expect((await loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_CA_FILE: ca }, cwd: CWD })).registry.caFile).toBe(ca);
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_REGISTRY_CA_FILE: 'nope.pem' }, cwd: tmp.dir }), {
      key: 'SC2MESH_REGISTRY_CA_FILE',
      source: 'env',
      says: ['no such file', 'nope.pem'],
    });
  });

  it('debounce.quietMs may not exceed maxDelayMs, whichever layers set them', async () => {
    const file = await tmp.write('debounce.yaml', 'debounce:\n  maxDelayMs: 30000\n');
    const config = await loadConfig({ env: { ...baseEnv, SC2MESH_DEBOUNCE_QUIET_MS: '20000' }, configFile: file, cwd: CWD });
    expect(config.debounce).toEqual({ quietMs: 20000, maxDelayMs: 30000, maxEvents: 1000 });
    await expectConfigError(loadConfig({ env: { ...baseEnv, SC2MESH_DEBOUNCE_QUIET_MS: '20000' }, cwd: CWD }), {
      key: 'SC2MESH_DEBOUNCE_QUIET_MS',
      source: 'env',
      says: ['maxDelayMs', '20000'],
    });
    await expectConfigError(loadConfig({ env: baseEnv, flags: { 'debounce.maxEvents': '0' }, cwd: CWD }), { key: '--max-events', source: 'flag' });
  });
});

describe('configFromLambdaEnv', () => {
  it('builds the whole configuration from plain strings', async () => {
    const config = await configFromLambdaEnv({
      HOME,
      AWS_REGION: 'eu-west-1',
      SC2MESH_KUBE_MODE: 'eks',
      SC2MESH_KUBE_EKS_CLUSTER_NAME: 'prod',
      SC2MESH_STATE_TABLE: 'sc2mesh-state',
      SC2MESH_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/sc2mesh-dirty',
      SC2MESH_GUARD_MAX_DELETE_SHARE: '0.25',
      SC2MESH_SERVER_PORT: '0',
    });
    expect(config.kube.mode).toBe('eks');
    expect(config.state).toMatchObject({ table: 'sc2mesh-state', region: 'eu-west-1' });
    expect(config.queue.url).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/sc2mesh-dirty');
    expect(config.guard.maxDeleteShare).toBe(0.25);
    expect(config.server.port).toBe(0);
    // The queue's region is its own setting, defaulting to the function's.
    expect(config.queue.region).toBe('eu-west-1');
  });

  it('takes the queue region and the registry breaker from their own settings', async () => {
    const config = await configFromLambdaEnv({
      HOME,
      AWS_REGION: 'eu-west-1',
      SC2MESH_STATE_TABLE: 'sc2mesh-state',
      SC2MESH_QUEUE_NAME: 'sc2mesh-dirty',
      SC2MESH_QUEUE_REGION: 'us-east-2',
      SC2MESH_REGISTRY_BREAKER_FAILURES: '5',
      SC2MESH_REGISTRY_BREAKER_COOL_DOWN_MS: '2000',
    });
    expect(config.state.region).toBe('eu-west-1');
    expect(config.queue.region).toBe('us-east-2');
    expect(config.registry).toMatchObject({ breakerFailures: 5, breakerCoolDownMs: 2000 });
    await expect(configFromLambdaEnv({ HOME, SC2MESH_REGISTRY_BREAKER_FAILURES: '0' })).rejects.toThrow("invalid configuration: SC2MESH_REGISTRY_BREAKER_FAILURES: must be 1 or more (got 0)");
    await expect(configFromLambdaEnv({ HOME, SC2MESH_QUEUE_NAME: 'q', SC2MESH_QUEUE_REGION: 'moon-1' })).rejects.toThrow(/SC2MESH_QUEUE_REGION: must be an AWS region/);
  });
});
