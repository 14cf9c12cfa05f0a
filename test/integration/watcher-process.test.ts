// The watcher container's entry point as a real process: configured only by environment
// variables, it watches the registry simulator, sends dirty keys to the SQS fake, serves
// /healthz and /metrics, and on SIGTERM sends the keys it still holds and exits 0.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../support/free-port.ts';
import { startRegistrySimulator, type RegistrySimulator } from '../../lib/registry-simulator/simulator.ts';
import { eventually } from '../../lib/registry-simulator/eventually.ts';
import { startSqsFake, type SqsFake } from '../support/sqs-fake/server.ts';
import { parseDirtyMessage, type DirtyMessage } from '../../lib/queue/dirty-message.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';

const QUEUE = 'sc2mesh-watcher-work';
const CART = serviceKeyOf({ environment: '', appId: 'shop', serviceName: 'cart' });


let sim: RegistrySimulator;
let sqs: SqsFake;
let child: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  sim = await startRegistrySimulator({ dependencyDelayMs: 20 });
  sqs = await startSqsFake({ queues: [QUEUE] });
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all([sim?.close(), sqs?.close()]);
});

function messages(): (DirtyMessage & { sentAt: number })[] {
  return sqs.messages(QUEUE).map((m) => ({ ...parseDirtyMessage(m.body), sentAt: m.sentAt }));
}

describe('watcher/main.ts as a process', () => {
  it('sends watch events to the queue, reports health, and flushes the keys it holds on SIGTERM', async () => {
    const port = await freePort();
    const opsUrl = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'watcher/main.ts'], {
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
        SC2MESH_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = child;
    proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));

    const health = async (): Promise<{ status: number; body: Record<string, unknown> }> => {
      try {
        const res = await fetch(`${opsUrl}/healthz`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      } catch {
        return { status: 0, body: {} };
      }
    };
    // Nothing registered yet: nothing to watch, and the listing works.
    await eventually(health, (h) => h.status === 200, 15_000, `watcher up (output: ${output.slice(-500)})`);

    const cart = sim.registerService({ appId: 'shop', serviceName: 'cart', version: '1.0.0' });
    sim.registerInstance(cart, { hostName: 'cart-1', endpoints: ['rest://10.0.0.1:8080'] }, { keepAlive: true });
    // the listing finds the new service: one message with its key
    await eventually(messages, (m) => m.some((x) => x.reason === 'watch' && x.keys.includes(CART)), 5_000, 'a watch message for shop/cart');
    const watching = await eventually(health, (h) => h.body['status'] === 'watching', 5_000, 'a watch socket open');
    expect(watching).toMatchObject({ status: 200, body: { ok: true, apps: 1, socketsOpen: 1 } });

    // The queue refuses the next watch message: the watcher keeps its keys (and would try
    // again 1 s later); SIGTERM must send them before the process exits.
    let refused = 0;
    sqs.injectFailures(({ body }) => {
      if (!body.includes('"reason":"watch"')) return undefined;
      refused++;
      return { code: 'InvalidParameterValue', message: 'injected: refused', senderFault: true };
    });
    const before = sqs.messages(QUEUE).length;
    sim.registerInstance(cart, { hostName: 'cart-2', endpoints: ['rest://10.0.0.2:8080'] }, { keepAlive: true });
    await eventually(() => refused, (n) => n > 0, 5_000, 'the watcher tried to send the instance event');
    const metrics = await (await fetch(`${opsUrl}/metrics`)).text();
    expect(metrics).toContain('sc2mesh_watcher_pending_keys 1');
    expect(metrics).toMatch(/sc2mesh_watcher_send_errors_total [1-9]/);
    expect(metrics).toMatch(/sc2mesh_watch_events_total [1-9]/);
    sqs.injectFailures(undefined);
    const killedAt = Date.now();
    proc.kill('SIGTERM');

    expect(await exited).toEqual({ code: 0, signal: null });
    const flushed = messages().slice(before).filter((m) => m.reason === 'watch' && m.keys.includes(CART));
    expect(flushed).toHaveLength(1);
    expect(flushed[0]?.sentAt).toBeGreaterThanOrEqual(killedAt);
    expect(output).toContain('watcher stopped');
    // /healthz is closed with the process
    expect((await health()).status).toBe(0);
  }, 40_000);

  it('refuses to start without a queue URL, naming the variable', async () => {
    const proc = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'watcher/main.ts'], {
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], SC2MESH_REGISTRY_ADDRESSES: sim.baseUrl, SC2MESH_SERVER_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toContain('SC2MESH_QUEUE_URL');
  }, 20_000);
});
