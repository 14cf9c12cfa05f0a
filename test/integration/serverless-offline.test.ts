// The deployable artefact, offline: `serverless package` builds the three functions, and
// `serverless invoke local` runs each bundled handler against the registry simulator, the
// validating Kubernetes API server, dynalite and an SQS endpoint — no AWS account.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { startSqsFake, type SqsFake } from '../support/sqs-fake/server.ts';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';

/** Runs a command with stdin closed (osls waits for an event on an open stdin). */
function run(command: string, args: string[], options: { env: NodeJS.ProcessEnv; timeout: number }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${command} ${args.slice(0, 3).join(' ')} exited ${code}\n${stdout}\n${stderr}`))));
  });
}
const SLS = 'node_modules/.bin/serverless';
const TABLE = 'sc2mesh-dev-state';
const QUEUE = 'sc2mesh-dev-work';

let sim: RegistrySimulator;
let kube: KubeApiServer;
let sqs: SqsFake;
let dynamo: EmbeddedDynalite;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  // The fixture lists SERVICECENTER itself, as a real dump with withShared would.
  sim = await startRegistrySimulator({ selfRegister: false, seed: JSON.parse(await readFile('lib/demo/sample-registry.json', 'utf8')) as unknown });
  kube = await startKubeApiServer({ namespace: 'sc2mesh' });
  sqs = await startSqsFake({ queues: [QUEUE] });
  dynamo = await startEmbeddedDynalite({ tableName: TABLE });
  env = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'eu-west-1',
    SLS_TELEMETRY_DISABLED: '1',
  };
}, 60_000);

afterAll(async () => {
  await Promise.all([sim?.close(), kube?.close(), sqs?.close(), dynamo?.close()]);
});

function overrides(): string[] {
  const vars: Record<string, string> = {
    SC2MESH_REGISTRY_ADDRESSES: sim.baseUrl,
    SC2MESH_KUBE_MODE: 'kubeconfig',
    SC2MESH_KUBE_KUBECONFIG: kube.kubeconfigPath,
    SC2MESH_STATE_ENDPOINT: dynamo.endpoint,
    SC2MESH_QUEUE_URL: sqs.queueUrl(QUEUE),
    SC2MESH_QUEUE_ENDPOINT: sqs.endpoint,
    SC2MESH_LOG_LEVEL: 'warn',
  };
  return Object.entries(vars).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
}

async function invoke(fn: string, eventFile: string): Promise<unknown> {
  const { stdout } = await run(SLS, ['invoke', 'local', '-f', fn, '-p', eventFile, ...overrides()], { env, timeout: 120_000 });
  // The handler's result is the last JSON document printed.
  const start = stdout.lastIndexOf('\n{') + 1;
  return JSON.parse(stdout.slice(start)) as unknown;
}

describe('serverless, offline', () => {
  it('packages the three functions', async () => {
    await rm('.serverless', { recursive: true, force: true });
    const { stdout, stderr } = await run(SLS, ['package'], { env, timeout: 180_000 });
    expect(`${stdout}${stderr}`).toContain('Service packaged');
    const template = JSON.parse(await readFile('.serverless/cloudformation-template-update-stack.json', 'utf8')) as { Resources: Record<string, { Type: string }> };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types.filter((t) => t === 'AWS::Lambda::Function')).toHaveLength(3);
    for (const t of ['AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::ECS::Service', 'AWS::Lambda::EventSourceMapping', 'AWS::Events::Rule']) expect(types).toContain(t);
  }, 200_000);

  it('invokes sync, push and resync locally against real local parts', async () => {
    const sync = (await invoke('sync', 'events/sync.json')) as { outcome: string; dirty: number };
    // 6 services with objects (auditLog has no instances; SERVICECENTER is never published)
    expect(sync).toMatchObject({ outcome: 'ok', dirty: 6 });
    expect(sqs.messages(QUEUE).length).toBeGreaterThan(0);

    const push = (await invoke('push', 'events/push.json')) as { batchItemFailures: unknown[] };
    expect(push).toEqual({ batchItemFailures: [] });

    const resync = (await invoke('resync', 'events/resync.json')) as { outcome: string; applied: number; dryRun: boolean };
    expect(resync.outcome).toBe('ok');
    expect(resync.dryRun).toBe(false);
    expect(resync.applied).toBeGreaterThan(0); // nothing was pushed yet (the push only opened a debounce cycle)
    expect(kube.store.count('ServiceEntry')).toBe(6);
  }, 300_000);
});
