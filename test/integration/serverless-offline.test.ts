// The deployable artefact, offline: `serverless package` builds the three functions and the
// operations resources (alarms, dashboard), and `serverless invoke local` runs each bundled
// handler against the registry simulator, the validating Kubernetes API server, dynalite and
// an SQS endpoint — no AWS account — printing its CloudWatch metrics as an EMF line.
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

interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** The EMF lines a run printed (Powertools Metrics writes one JSON line per invocation). */
function emfLines(stdout: string): EmfLine[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
}

async function invoke(fn: string, eventFile: string): Promise<{ result: unknown; emf: EmfLine[] }> {
  const { stdout } = await run(SLS, ['invoke', 'local', '-f', fn, '-p', eventFile, ...overrides()], { env, timeout: 120_000 });
  // The handler's result is the last JSON document printed (the EMF line comes before it).
  const start = stdout.lastIndexOf('\n{') + 1;
  return { result: JSON.parse(stdout.slice(start)) as unknown, emf: emfLines(stdout) };
}

/** One invocation, one EMF line, in the stack's namespace with exactly the stage and source dimensions. */
function expectEmf(lines: EmfLine[], source: string): EmfLine {
  expect(lines).toHaveLength(1);
  const line = lines[0] as EmfLine;
  expect(line._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'sc2mesh', Dimensions: [['stage', 'source']] });
  expect(line).toMatchObject({ stage: 'dev', source });
  return line;
}

interface Template {
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

/** An alarm's own metric, or the metrics of its metric-math expression. */
function alarmMetrics(props: Record<string, unknown>): { namespace: unknown; name: unknown; dimensions: unknown }[] {
  if (props['MetricName'] !== undefined) return [{ namespace: props['Namespace'], name: props['MetricName'], dimensions: props['Dimensions'] }];
  const queries = (props['Metrics'] ?? []) as { MetricStat?: { Metric: { Namespace: unknown; MetricName: unknown; Dimensions: unknown } } }[];
  return queries.flatMap((q) => (q.MetricStat === undefined ? [] : [{ namespace: q.MetricStat.Metric.Namespace, name: q.MetricStat.Metric.MetricName, dimensions: q.MetricStat.Metric.Dimensions }]));
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
    expectOperations(template as unknown as Template);
  }, 200_000);

  it('invokes sync, push and resync locally against real local parts', async () => {
    const syncRun = await invoke('sync', 'events/sync.json');
    const sync = syncRun.result as { outcome: string; dirty: number };
    // 6 services with objects (auditLog has no instances; SERVICECENTER is never published)
    expect(sync).toMatchObject({ outcome: 'ok', dirty: 6 });
    expect(sqs.messages(QUEUE).length).toBeGreaterThan(0);
    expect(expectEmf(syncRun.emf, 'sync')).toMatchObject({ Syncs: 1, SyncDirtyServices: 6, SyncSucceeded: 1, RegistryUnavailable: 0 });

    const pushRun = await invoke('push', 'events/push.json');
    expect(pushRun.result).toEqual({ batchItemFailures: [] });
    // the push only opened a debounce cycle: every counter there, as 0
    expect(expectEmf(pushRun.emf, 'push')).toMatchObject({ ServicesPushed: 0, ObjectsApplied: 0, ServicesFailed: 0, MessagesInvalid: 0 });

    const resyncRun = await invoke('resync', 'events/resync.json');
    const resync = resyncRun.result as { outcome: string; applied: number; dryRun: boolean };
    expect(resync.outcome).toBe('ok');
    expect(resync.dryRun).toBe(false);
    expect(resync.applied).toBeGreaterThan(0); // nothing was pushed yet (the push only opened a debounce cycle)
    expect(kube.store.count('ServiceEntry')).toBe(6);
    expect(expectEmf(resyncRun.emf, 'resync')).toMatchObject({ ObjectsApplied: resync.applied });
  }, 300_000);
});

/** The alarms of issue 15 (each on the metric it names, with its threshold) and the dashboard. */
function expectOperations(template: Template): void {
  const alarms = Object.fromEntries(Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm'));
  const ours = (stage: string, source: string): unknown => [
    { Name: 'stage', Value: stage },
    { Name: 'source', Value: source },
  ];
  const alarm = (id: string): Record<string, unknown> => {
    const found = alarms[id];
    if (found === undefined) throw new Error(`no alarm ${id} in the template (has ${Object.keys(alarms).join(', ')})`);
    return found.Properties;
  };
  const expectAlarm = (id: string, expected: Record<string, unknown>, metrics: { namespace: unknown; name: unknown; dimensions?: unknown }[]): void => {
    const props = alarm(id);
    expect(props).toMatchObject(expected);
    const actual = alarmMetrics(props);
    for (const m of metrics) expect(actual).toContainEqual(m.dimensions === undefined ? expect.objectContaining({ namespace: m.namespace, name: m.name }) : m);
  };

  expectAlarm('DeadLetterQueueAlarm', { Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' }, [
    { namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', dimensions: [{ Name: 'QueueName', Value: 'sc2mesh-dev-dead-letters' }] },
  ]);
  expectAlarm('PushErrorsAlarm', { Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' }, [{ namespace: 'AWS/Lambda', name: 'Errors', dimensions: [{ Name: 'FunctionName', Value: { Ref: 'PushLambdaFunction' } }] }]);
  expectAlarm('SyncErrorsAlarm', { Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' }, [{ namespace: 'AWS/Lambda', name: 'Errors', dimensions: [{ Name: 'FunctionName', Value: { Ref: 'SyncLambdaFunction' } }] }]);
  // no successful sync in 5 minutes; no data at all is no sync at all
  expectAlarm('NoSuccessfulSyncAlarm', { Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 5, Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' }, [
    { namespace: 'sc2mesh', name: 'SyncSucceeded', dimensions: ours('dev', 'sync') },
  ]);
  expectAlarm('RegistryUnavailableAlarm', { Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' }, [
    { namespace: 'sc2mesh', name: 'RegistryUnavailable', dimensions: ours('dev', 'sync') },
  ]);
  expectAlarm('DeletionsRefusedAlarm', { Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' }, [
    { namespace: 'sc2mesh', name: 'DeletionsRefused', dimensions: ours('dev', 'push') },
    { namespace: 'sc2mesh', name: 'DeletionsRefused', dimensions: ours('dev', 'sync') },
    { namespace: 'sc2mesh', name: 'DeletionsRefused', dimensions: ours('dev', 'resync') },
  ]);
  expectAlarm('QueueAgeAlarm', { Threshold: 60, ComparisonOperator: 'GreaterThanThreshold' }, [
    { namespace: 'AWS/SQS', name: 'ApproximateAgeOfOldestMessage', dimensions: [{ Name: 'QueueName', Value: 'sc2mesh-dev-work' }] },
  ]);
  expectAlarm('WatcherTasksAlarm', { Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' }, [
    { namespace: 'ECS/ContainerInsights', name: 'RunningTaskCount' },
    { namespace: 'ECS/ContainerInsights', name: 'DesiredTaskCount' },
  ]);
  expectAlarm('WatcherHeartbeatAlarm', { Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' }, [
    { namespace: 'sc2mesh', name: 'WatcherHeartbeat', dimensions: ours('dev', 'watcher') },
  ]);
  // Container Insights is what publishes the task counts.
  expect(template.Resources['WatcherCluster']?.Properties['ClusterSettings']).toEqual([{ Name: 'containerInsights', Value: 'enabled' }]);

  // No topic given: every alarm's actions are conditional on one, and the condition is false.
  expect(template.Conditions?.['HasAlarmTopic']).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  for (const [id, a] of Object.entries(alarms)) {
    expect({ id, actions: a.Properties['AlarmActions'] }).toEqual({ id, actions: { 'Fn::If': ['HasAlarmTopic', [''], { Ref: 'AWS::NoValue' }] } });
  }

  const dashboard = Object.values(template.Resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard');
  const body = (dashboard?.Properties['DashboardBody'] as { 'Fn::Sub': string } | undefined)?.['Fn::Sub'];
  if (body === undefined) throw new Error('no dashboard body');
  // CloudFormation fills in ${AWS::Region} and the like; any value makes it valid JSON.
  const parsed = JSON.parse(body.replace(/\$\{[^}]+\}/g, 'x')) as { widgets: { type: string; properties: { title: string; metrics?: unknown[][]; alarms?: string[] } }[] };
  const metricNames = new Set(parsed.widgets.flatMap((w) => (w.properties.metrics ?? []).map((m) => m[1])));
  for (const name of ['PushLatency', 'ObjectsApplied', 'ObjectsDeleted', 'ServicesFailed', 'RegistryUnavailable', 'DeletionsRefused', 'ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage', 'QueueAge', 'WatcherHeartbeat', 'RunningTaskCount', 'WatcherReconnects', 'Errors']) {
    expect(metricNames).toContain(name);
  }
  expect(body).toContain('"QueueName", "sc2mesh-dev-dead-letters"');
  expect(parsed.widgets.find((w) => w.type === 'alarm')?.properties.alarms).toHaveLength(Object.keys(alarms).length);
}
