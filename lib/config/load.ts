// Loads the configuration: defaults < config file < environment < flags, each layer
// checked on its own, then the rules that span keys. Every failure is one ConfigError
// naming the key as the user wrote it.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveDebounceConfig } from '../debounce/config.ts';
import { resolveRenderOptions } from '../render/options.ts';
import { ConfigError, configError, originOfField, whereOf, type Origin } from './errors.ts';
import { envLayer } from './env.ts';
import { configFileLayer, type ConfigFileRef } from './file.ts';
import { flagLayer } from './flags.ts';
import { CONFIG_FILE_ENV, CONFIG_FILE_FLAG, CONFIG_KEYS, configKey, keyOfField } from './keys.ts';
import { fieldErrorToConfigError, homeOf, issueError, nest, resolvePath, type ConfigLayer, type PathContext } from './layer.ts';
import { recordOrigins } from './provenance.ts';
import { defaultValueOf } from './reference.ts';
import { ResolvedCoreSchema, type Sc2meshConfig } from './schema.ts';

export interface LoadConfigOptions {
  /** flag values already mapped to key paths (flagsToConfigInput), e.g. `{ 'kube.qps': '5' }` */
  flags?: Readonly<Record<string, unknown>>;
  /** default process.env */
  env?: NodeJS.ProcessEnv;
  /** the --config value; else $SC2MESH_CONFIG; else no file */
  configFile?: string | undefined;
  /** relative paths from flags, variables and defaults resolve against this; default process.cwd() */
  cwd?: string;
}

const AWS_REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function defaultLayer(paths: PathContext): ConfigLayer {
  const values = new Map<string, unknown>();
  for (const key of CONFIG_KEYS) {
    const value = defaultValueOf(key.path);
    if (value === undefined) continue;
    values.set(key.path, key.kind === 'path' ? resolvePath(value as string, paths) : value);
  }
  return { source: 'default', values, originOf: (field) => ({ source: 'default', key: field }) };
}

interface Entry {
  value: unknown;
  origin: Origin;
}

/** The merged values with their origins, and the cross-key rules over them. */
class Merged {
  readonly entries = new Map<string, Entry>();

  constructor(layers: readonly ConfigLayer[]) {
    for (const layer of layers) {
      for (const [keyPath, value] of layer.values) this.entries.set(keyPath, { value, origin: layer.originOf(keyPath) });
    }
  }

  get(keyPath: string): unknown {
    return this.entries.get(keyPath)?.value;
  }

  string(keyPath: string): string {
    const value = this.get(keyPath);
    return typeof value === 'string' ? value : '';
  }

  set(keyPath: string, value: unknown, origin: Origin): void {
    this.entries.set(keyPath, { value, origin });
  }

  origin(keyPath: string): Origin {
    return this.entries.get(keyPath)?.origin ?? { source: 'default', key: keyPath };
  }

  /** set by a file, a variable or a flag (not a default) */
  explicit(keyPath: string): boolean {
    return this.origin(keyPath).source !== 'default';
  }

  /** the origin of a field below a key, spelled for messages */
  readonly originOf = (field: string): Origin => {
    const key = keyOfField(field);
    if (key === undefined) return { source: 'default', key: field };
    return originOfField(this.origin(key.path), key.path, field);
  };

  section(prefix: string): Record<string, unknown> {
    const values = new Map<string, unknown>();
    for (const [keyPath, entry] of this.entries) {
      if (keyPath.startsWith(`${prefix}.`) && entry.value !== undefined) values.set(keyPath.slice(prefix.length + 1), entry.value);
    }
    return nest(values);
  }
}

/** A key that a rule needs but no layer set: named with every way to set it. */
function missing(keyPath: string, because: string, alsoHow?: string): ConfigError {
  const key = configKey(keyPath);
  const ways = [key?.flag, key?.env ?? keyPath, `${keyPath} in the config file`, alsoHow].filter((s) => s !== undefined);
  const how = `${ways.slice(0, -1).join(', ')} or ${ways[ways.length - 1] ?? ''}`;
  return new ConfigError(`invalid configuration: ${keyPath}: ${because}; set it with ${how}`, { source: 'default', key: keyPath });
}

function regionFromEnv(merged: Merged, keyPath: string, env: NodeJS.ProcessEnv): void {
  if (merged.string(keyPath) !== '') return;
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION']) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    const origin: Origin = { source: 'env', key: name };
    if (!AWS_REGION_RE.test(value)) throw configError(origin, 'must be an AWS region such as eu-west-1', { value, secret: false });
    merged.set(keyPath, value, origin);
    return;
  }
}

async function checkReadableFile(merged: Merged, keyPath: string): Promise<void> {
  const file = merged.string(keyPath);
  let problem: string | undefined;
  try {
    if (!(await stat(file)).isFile()) problem = 'is not a file';
  } catch (error) {
    problem = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read';
  }
  if (problem !== undefined) throw configError(merged.origin(keyPath), problem, { value: file, secret: false });
}

function resolveKube(merged: Merged, env: NodeJS.ProcessEnv, paths: PathContext): void {
  if (!merged.explicit('kube.kubeconfig')) {
    const fromEnv = env['KUBECONFIG']?.trim();
    if (fromEnv !== undefined && fromEnv !== '') {
      // kubectl accepts a list; keep it a list, each entry absolute
      const list = fromEnv.split(path.delimiter).filter((p) => p !== '').map((p) => resolvePath(p, paths));
      merged.set('kube.kubeconfig', list.join(path.delimiter), { source: 'env', key: 'KUBECONFIG' });
    } else {
      merged.set('kube.kubeconfig', path.join(paths.home, '.kube', 'config'), { source: 'default', key: 'kube.kubeconfig' });
    }
  }
  const out = merged.string('out');
  if (out !== '') {
    if (!merged.explicit('kube.mode')) merged.set('kube.mode', 'none', merged.origin('out'));
    else if (merged.get('kube.mode') !== 'none') {
      throw configError(
        merged.origin('kube.mode'),
        `cannot be combined with ${whereOf(merged.origin('out'))}, which writes manifests to a folder instead of a cluster; set kube.mode to none or drop out`,
        { value: merged.get('kube.mode'), secret: false },
      );
    }
  }
  if (merged.get('kube.mode') === 'eks') {
    const because = `required when kube.mode is eks (${whereOf(merged.origin('kube.mode'))})`;
    if (merged.string('kube.eks.clusterName') === '') throw missing('kube.eks.clusterName', because);
    regionFromEnv(merged, 'kube.eks.region', env);
    if (merged.string('kube.eks.region') === '') throw missing('kube.eks.region', because, 'AWS_REGION');
  }
  if (merged.string('state.table') !== '') regionFromEnv(merged, 'state.region', env);
  if (merged.string('queue.url') !== '' || merged.string('queue.name') !== '') regionFromEnv(merged, 'queue.region', env);
}

async function resolveRegistryAuth(merged: Merged): Promise<void> {
  const password = merged.string('registry.password');
  const passwordFile = merged.string('registry.passwordFile');
  if (password !== '' && passwordFile !== '') {
    throw configError(merged.origin('registry.passwordFile'), `cannot be combined with ${whereOf(merged.origin('registry.password'))}; give the password one way`);
  }
  if (passwordFile !== '') {
    const origin = merged.origin('registry.passwordFile');
    let text: string;
    try {
      text = await readFile(passwordFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw configError(origin, `cannot read the password file: ${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}`, { value: passwordFile, secret: false });
    }
    const secret = text.replace(/[\r\n]+$/, '');
    if (secret === '') throw configError(origin, 'the password file is empty', { value: passwordFile, secret: false });
    merged.set('registry.password', secret, origin);
  }
  const username = merged.string('registry.username');
  const effective = merged.string('registry.password');
  if (username !== '' && effective === '') {
    throw missing('registry.password', `required when registry.username is set (${whereOf(merged.origin('registry.username'))})`, 'registry.passwordFile');
  }
  if (username === '' && effective !== '') {
    const key = passwordFile !== '' ? 'registry.passwordFile' : 'registry.password';
    throw configError(merged.origin(key), 'is set but registry.username is empty');
  }
  if (merged.string('registry.caFile') !== '') await checkReadableFile(merged, 'registry.caFile');
}

function withFieldOrigin<T>(merged: Merged, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw fieldErrorToConfigError(error, merged.originOf) ?? error;
  }
}

async function resolveConfig(layers: readonly ConfigLayer[], env: NodeJS.ProcessEnv, paths: PathContext): Promise<Sc2meshConfig> {
  const merged = new Merged(layers);
  resolveKube(merged, env, paths);
  await resolveRegistryAuth(merged);
  if (merged.get('kube.mode') === 'kubeconfig' && merged.explicit('kube.kubeconfig') && merged.origin('kube.kubeconfig').key !== 'KUBECONFIG') {
    await checkReadableFile(merged, 'kube.kubeconfig');
  }

  const render = withFieldOrigin(merged, () => resolveRenderOptions(merged.section('render'), 'render'));
  // The watcher registers itself as a consumer; it must never be published as a mesh service.
  const watcher = merged.string('registry.watcherServiceName');
  if (!render.excludeServices.includes(watcher)) render.excludeServices = [...render.excludeServices, watcher];
  const debounce = withFieldOrigin(merged, () => resolveDebounceConfig(merged.section('debounce'), 'debounce'));

  const coreInput: Record<string, unknown> = {};
  for (const [keyPath, entry] of merged.entries) {
    if (!keyPath.startsWith('render.') && !keyPath.startsWith('debounce.')) coreInput[keyPath] = entry.value;
  }
  const nested = nest(new Map(Object.entries(coreInput)));
  const core = ResolvedCoreSchema.safeParse(nested);
  if (!core.success) {
    const first = core.error.issues[0];
    throw first === undefined ? core.error : issueError(first, nested, merged.originOf);
  }
  const c = core.data;
  const config: Sc2meshConfig = {
    registry: c.registry,
    render,
    kube: c.kube,
    out: c.out,
    guard: c.guard,
    debounce,
    state: c.state,
    queue: c.queue,
    sync: c.sync,
    audit: c.audit,
    governance: c.governance,
    sidecars: c.sidecars,
    server: c.server,
    log: c.log,
  };
  recordOrigins(config, new Map([...merged.entries].map(([keyPath, entry]) => [keyPath, entry.origin])));
  return config;
}

function configFileRef(options: LoadConfigOptions, env: NodeJS.ProcessEnv): ConfigFileRef | undefined {
  if (options.configFile !== undefined && options.configFile !== '') {
    return { given: options.configFile, origin: { source: 'flag', key: CONFIG_FILE_FLAG } };
  }
  const fromEnv = env[CONFIG_FILE_ENV]?.trim();
  if (fromEnv !== undefined && fromEnv !== '') return { given: fromEnv, origin: { source: 'env', key: CONFIG_FILE_ENV } };
  return undefined;
}

/** The configuration from flags > environment > config file > defaults; throws one ConfigError. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<Sc2meshConfig> {
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const home = homeOf(env);
  const paths: PathContext = { baseDir: cwd, home };
  const layers: ConfigLayer[] = [defaultLayer(paths)];
  const file = configFileRef(options, env);
  if (file !== undefined) layers.push(await configFileLayer(file, cwd, home));
  layers.push(envLayer(env, paths));
  if (options.flags !== undefined) layers.push(flagLayer(options.flags, paths));
  return resolveConfig(layers, env, paths);
}

/** For the Lambda functions and the watcher: the environment (plain strings) is the only input. */
export function configFromLambdaEnv(env: NodeJS.ProcessEnv): Promise<Sc2meshConfig> {
  return loadConfig({ env });
}
