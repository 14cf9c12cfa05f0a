// What a runner-level end-to-end test starts from: the registry simulator seeded with the
// demo registry, the validating API server, a fresh state folder, and the configuration a
// local runner reads, with the test's own flags over the common ones (no rate limit, no
// ops port, silent logs).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Sc2meshConfig } from '../../../lib/config/index.ts';
import { startRegistrySimulator, type RegistrySimulator, type RegistrySimulatorOptions } from '../../../lib/registry-simulator/simulator.ts';
import { startKubeApiServer, type KubeApiServer } from '../kube-api-server/index.ts';

export const E2E_NAMESPACE = 'sc2mesh';

export interface RunnerFixture {
  sim: RegistrySimulator;
  kube: KubeApiServer;
  stateDir: string;
  config: Sc2meshConfig;
  close(): Promise<void>;
}

export interface RunnerFixtureOptions {
  /** names the state folder, so a leftover one says which test left it */
  name: string;
  flags?: Readonly<Record<string, unknown>>;
  simulator?: Omit<RegistrySimulatorOptions, 'seed'>;
}

export async function startRunnerFixture(options: RunnerFixtureOptions): Promise<RunnerFixture> {
  const seed = JSON.parse(await readFile('lib/demo/sample-registry.json', 'utf8')) as unknown;
  const sim = await startRegistrySimulator({ ...options.simulator, seed });
  const kube = await startKubeApiServer({ namespace: E2E_NAMESPACE });
  const stateDir = await mkdtemp(join(tmpdir(), `sc2mesh-${options.name}-`));
  const close = async (): Promise<void> => {
    await Promise.all([sim.close(), kube.close()]);
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const config = await loadConfig({
      env: {},
      flags: {
        'registry.addresses': [sim.baseUrl],
        'kube.kubeconfig': kube.kubeconfigPath,
        'kube.qps': 0,
        'state.dir': stateDir,
        'server.port': 0,
        'log.level': 'silent',
        ...options.flags,
      },
    });
    return { sim, kube, stateDir, config, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** One call to the simulator's governance API (`/v1/default/gov…`); anything but 200 throws with the answer. */
export async function governanceRequest(sim: RegistrySimulator, method: string, path: string, body?: unknown): Promise<unknown> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`${sim.baseUrl}/v1/default/gov${path}`, init);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}
