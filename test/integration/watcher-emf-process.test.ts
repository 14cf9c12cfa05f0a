// watcher/main.ts publishes CloudWatch metrics as EMF lines on stdout (the awslogs driver
// ships them); SIGTERM publishes the last interval before the process exits, so a stop
// loses none of the events it counted.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../support/free-port.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { eventually } from '../../lib/registry-simulator/eventually.ts';
import { startSqsFake, type SqsFake } from '../support/sqs-fake/server.ts';

const QUEUE = 'sc2mesh-watcher-emf-work';

let sim: RegistrySimulator;
let sqs: SqsFake;
let child: ChildProcess | undefined;

beforeAll(async () => {
  [sim, sqs] = await Promise.all([startRegistrySimulator({ dependencyDelayMs: 20 }), startSqsFake({ queues: [QUEUE] })]);
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all([sim?.close(), sqs?.close()]);
});

describe('watcher/main.ts EMF', () => {
  it('prints its last interval as an EMF line with a heartbeat when stopped', async () => {
    const port = await freePort();
    const proc = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'watcher/main.ts'], {
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_REGION: 'eu-west-1',
        SC2MESH_REGISTRY_ADDRESSES: sim.baseUrl,
        SC2MESH_REGISTRY_LIST_INTERVAL_MS: '200',
        SC2MESH_QUEUE_URL: sqs.queueUrl(QUEUE),
        SC2MESH_QUEUE_ENDPOINT: sqs.endpoint,
        SC2MESH_SERVER_PORT: String(port),
        SC2MESH_LOG_LEVEL: 'warn',
        POWERTOOLS_METRICS_NAMESPACE: 'sc2mesh-ci',
        METRICS_STAGE: 'ci',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    const healthy = async (): Promise<boolean> => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
      } catch {
        return false;
      }
    };
    await eventually(healthy, (ok) => ok, 15_000, `watcher up (stderr: ${stderr.slice(-500)})`);
    const cart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    sim.registerInstance(cart, { hostName: 'cart-1', endpoints: ['rest://10.0.0.1:8080'] }, { keepAlive: true });
    await eventually(async () => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).match(/sc2mesh_watch_events_total ([0-9]+)/)?.[1], (n) => Number(n) > 0, 10_000, 'a watch event');

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = stdout
      .split('\n')
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // no minute has passed: the one line is the stop's
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ stage: 'ci', source: 'watcher', WatcherHeartbeat: 1, WatcherReconnects: 0 });
    expect(lines[0]?.['WatchEvents'] as number).toBeGreaterThan(0);
    expect(JSON.stringify(lines[0]?.['_aws'])).toContain('"Namespace":"sc2mesh-ci"');
  }, 40_000);
});
