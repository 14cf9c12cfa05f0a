// CloudWatch metrics of the Lambda functions: each invocation prints one EMF line holding
// that invocation's own figures. The runtime is cached across invocations of one container
// (as on Lambda), so a second invocation's line must not carry the first one's counts.
// The handlers run in-process against the registry simulator, the validating Kubernetes
// API server, dynalite and the SQS fake, and their stdout is read back.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import type { Context, Handler } from 'aws-lambda';
import { readFile } from 'node:fs/promises';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { lambdaRuntime } from '../../lib/runtime/lambda-runtime.ts';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { parseDirtyMessage } from '../../lib/queue/dirty-message.ts';
import { FUNCTION_COUNTERS } from '../../lib/metrics/emf.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { startSqsFake, type SqsFake } from '../support/sqs-fake/server.ts';
import { lambdaContext } from '../support/e2e/lambda-sqs-loop.ts';

const QUEUE = 'sc2mesh-emf-work';
const TABLE = 'sc2mesh-emf-state';
const REGION = 'eu-west-1';
const NAMESPACE = 'sc2mesh-emf-test';

interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

let sim: RegistrySimulator;
let kube: KubeApiServer;
let sqs: SqsFake;
let dynamo: EmbeddedDynalite;
let push: Handler;
let sync: Handler;
let resync: Handler;
const savedEnv = { ...process.env };

beforeAll(async () => {
  [sim, kube, sqs, dynamo] = await Promise.all([
    startRegistrySimulator({ selfRegister: false, seed: JSON.parse(await readFile('lib/demo/sample-registry.json', 'utf8')) as unknown }),
    startKubeApiServer({ namespace: 'sc2mesh' }),
    startSqsFake({ queues: [QUEUE] }),
    startEmbeddedDynalite({ tableName: TABLE }),
  ]);
  for (const name of Object.keys(process.env)) if (name.startsWith('SC2MESH_') && name !== 'SC2MESH_SHARED_DIR') delete process.env[name];
  delete process.env['POWERTOOLS_METRICS_DISABLED'];
  delete process.env['POWERTOOLS_DEV'];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: REGION,
    SC2MESH_REGISTRY_ADDRESSES: sim.baseUrl,
    SC2MESH_KUBE_MODE: 'kubeconfig',
    SC2MESH_KUBE_KUBECONFIG: kube.kubeconfigPath,
    SC2MESH_STATE_TABLE: TABLE,
    SC2MESH_STATE_ENDPOINT: dynamo.endpoint,
    SC2MESH_QUEUE_URL: sqs.queueUrl(QUEUE),
    SC2MESH_QUEUE_ENDPOINT: sqs.endpoint,
    SC2MESH_RENDER_NAMESPACE: 'sc2mesh',
    // every batch pushes at once: one invocation, one push
    SC2MESH_DEBOUNCE_MAX_EVENTS: '1',
    SC2MESH_LOG_LEVEL: 'silent',
    POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
    METRICS_STAGE: 'ci',
  });
  // The handler modules read the metrics settings when loaded, as on a cold start.
  ({ handler: push } = (await import('../../functions/push.ts')) as { handler: Handler });
  ({ handler: sync } = (await import('../../functions/sync.ts')) as { handler: Handler });
  ({ handler: resync } = (await import('../../functions/resync.ts')) as { handler: Handler });
}, 60_000);

afterAll(async () => {
  await (await lambdaRuntime(context('push').invokedFunctionArn).catch(() => undefined))?.close();
  await Promise.all([sim?.close(), kube?.close(), sqs?.close(), dynamo?.close()]);
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
});

function context(functionName: string): Context {
  return lambdaContext(functionName, REGION);
}

/** Runs one invocation and returns the EMF lines it printed on stdout (Powertools writes them there). */
async function invoke(handler: Handler, event: unknown, fn: string): Promise<{ result: unknown; error?: unknown; emf: EmfLine[] }> {
  const original = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  let result: unknown;
  let error: unknown;
  try {
    result = await handler(event, context(fn), () => undefined);
  } catch (thrown) {
    error = thrown;
  } finally {
    process.stdout.write = original;
  }
  const emf = out
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
  return { result, ...(error === undefined ? {} : { error }), emf };
}

function only(lines: EmfLine[]): EmfLine {
  expect(lines).toHaveLength(1);
  return lines[0] as EmfLine;
}

function sqsEvent(bodies: string[]): unknown {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m-${Date.now()}-${i}`,
      receiptHandle: `r-${i}`,
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'local', ApproximateFirstReceiveTimestamp: String(Date.now()) },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:123456789012:${QUEUE}`,
      awsRegion: REGION,
    })),
  };
}

const dirtyBody = (key: string, at: number): string => JSON.stringify({ v: 1, keys: [key], reason: 'watch', at });

describe('EMF lines of the functions', () => {
  let dirtyKeys: string[] = [];

  it('sync: one line per invocation, with the stage and source dimensions, and its own counts', async () => {
    const first = await invoke(sync, { source: 'sc2mesh.schedule' }, 'sync');
    expect(first.result).toMatchObject({ outcome: 'ok', dirty: 6 });
    dirtyKeys = [...new Set(sqs.messages(QUEUE).flatMap((m) => parseDirtyMessage(m.body).keys))].sort();
    expect(dirtyKeys).toHaveLength(6);

    const a = only(first.emf);
    const directive = a._aws.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe(NAMESPACE);
    // exactly these two: Powertools' own `service` dimension would make every alarm miss
    expect(directive?.Dimensions).toEqual([['stage', 'source']]);
    expect(a).toMatchObject({ stage: 'ci', source: 'sync', Syncs: 1, SyncDirtyServices: 6, SyncSucceeded: 1, RegistryUnavailable: 0, DeletionsRefused: 0 });
    expect(typeof a['SyncDuration']).toBe('number');
    // every counter is there, zeros included, so alarms see data on quiet minutes
    const names = directive?.Metrics.map((m) => m.Name) ?? [];
    for (const name of Object.values(FUNCTION_COUNTERS)) expect(names).toContain(name);
    expect(directive?.Metrics.find((m) => m.Name === 'SyncDuration')?.Unit).toBe('Milliseconds');

    // Nothing was pushed, so the second sync finds the same six: 6 again, not 12.
    const second = only((await invoke(sync, { source: 'sc2mesh.schedule' }, 'sync')).emf);
    expect(second).toMatchObject({ Syncs: 1, SyncDirtyServices: 6, SyncSucceeded: 1 });
  }, 60_000);

  it('push: the second invocation reports only its own service, latency and queue age', async () => {
    const [keyA, keyB] = dirtyKeys;
    if (keyA === undefined || keyB === undefined) throw new Error('the sync test enqueued no keys');
    const firstAt = Date.now() - 3_000;
    const first = await invoke(push, sqsEvent([dirtyBody(keyA, firstAt)]), 'push');
    expect(first.result).toEqual({ batchItemFailures: [] });
    const a = only(first.emf);
    expect(a).toMatchObject({ source: 'push', ServicesPushed: 1, ServicesFailed: 0 });
    const appliedA = a['ObjectsApplied'] as number;
    expect(appliedA).toBeGreaterThan(0);
    expect(typeof a['PushLatency']).toBe('number'); // one push: one value, not an array
    expect(a['QueueAge'] as number).toBeGreaterThanOrEqual(3_000);
    const afterFirst = kube.store.count('ServiceEntry') + kube.store.count('WorkloadEntry');

    const second = await invoke(push, sqsEvent([dirtyBody(keyB, Date.now())]), 'push');
    const b = only(second.emf);
    const appliedB = kube.store.count('ServiceEntry') + kube.store.count('WorkloadEntry') - afterFirst;
    expect(b).toMatchObject({ source: 'push', ServicesPushed: 1, ObjectsApplied: appliedB });
    expect(b['ObjectsApplied']).not.toBe(appliedA + appliedB);
    expect(typeof b['PushLatency']).toBe('number');
    expect(b['QueueAge'] as number).toBeLessThan(3_000);
  }, 60_000);

  it('push: an invocation that pushed nothing still writes every counter as 0, and no queue age without a message', async () => {
    const { result, emf } = await invoke(push, sqsEvent(['not json']), 'push');
    expect((result as { batchItemFailures: unknown[] }).batchItemFailures).toHaveLength(1);
    const line = only(emf);
    expect(line).toMatchObject({ MessagesInvalid: 1, ServicesPushed: 0, ObjectsApplied: 0, ServicesFailed: 0, DeletionsRefused: 0 });
    expect(line).not.toHaveProperty('QueueAge');
    expect(line).not.toHaveProperty('PushLatency');
  }, 60_000);

  it('push: an invocation that throws still prints its line', async () => {
    const { error, emf } = await invoke(push, { Records: 'nope' }, 'push');
    expect(error).toBeInstanceOf(Error);
    expect(only(emf)).toMatchObject({ source: 'push', ServicesPushed: 0, ObjectsApplied: 0 });
  }, 60_000);

  it('resync: its own figures and its duration', async () => {
    const { result, emf } = await invoke(resync, { dryRun: false, force: false }, 'resync');
    expect(result).toMatchObject({ outcome: 'ok', dryRun: false });
    const line = only(emf);
    expect(line).toMatchObject({ source: 'resync', ObjectsApplied: (result as { applied: number }).applied });
    expect(typeof line['ResyncDuration']).toBe('number');
    // A dry run writes nothing, and says so: no object counts, only its duration.
    const dry = only((await invoke(resync, { dryRun: true }, 'resync')).emf);
    expect(dry).not.toHaveProperty('ObjectsApplied');
    expect(typeof dry['ResyncDuration']).toBe('number');
  }, 60_000);
});
