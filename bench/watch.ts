// `npm run bench -- watch`: how many instance events per second the watch client
// ingests (socket frame → JSON → schema check → view → typed event), and its peak RSS.
// Three processes, so each side has its own core and the RSS is the client's alone:
// this one orchestrates, one child runs the registry simulator and generates the
// burst, one child runs the WatchClient and measures from its first event to its last.
//   npm exec -- node --disable-warning=ExperimentalWarning bench/watch.ts [events]
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WatchBenchOptions {
  /** events in the measured burst (default 50 000) */
  events?: number;
  /** providers the client found (default 20) */
  providers?: number;
  /** instances per provider whose status flips to make events (default 10) */
  instancesPerProvider?: number;
  /** unmeasured events first, to warm the JIT (default 5 000) */
  warmup?: number;
}

export interface WatchBench {
  /** events per CPU-second of the client process: its ingest capacity on one core */
  eventsPerSecond: number;
  events: number;
  peakRssMb: number;
  /** events per wall-clock second, first event to last; bounded by how fast the simulator sends */
  wallEventsPerSecond: number;
  clientCpuMs: number;
  clientWallMs: number;
  /** how long the simulator took to send the burst (close to clientWallMs: the simulator was the bottleneck) */
  simulatorMs: number;
}

type Message =
  | { type: 'ready'; baseUrl?: string }
  | { type: 'burst'; events: number }
  | { type: 'burst-done'; ms: number }
  | { type: 'expect'; events: number }
  | { type: 'result'; events: number; ms: number; cpuMs: number; peakRssMb: number }
  | { type: 'failed'; message: string };

const SELF = fileURLToPath(import.meta.url);

function child(role: string, args: string[] = []): ChildProcess {
  return fork(SELF, ['--role', role, ...args], { execArgv: ['--disable-warning=ExperimentalWarning'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function next<T extends Message['type']>(proc: ChildProcess, type: T): Promise<Extract<Message, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Message): void => {
      if (m.type === 'failed') {
        cleanup();
        reject(new Error(m.message));
      } else if (m.type === type) {
        cleanup();
        resolve(m as Extract<Message, { type: T }>);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`bench child exited (${code}) before sending ${type}`));
    };
    const cleanup = (): void => {
      proc.off('message', onMessage);
      proc.off('exit', onExit);
    };
    proc.on('message', onMessage);
    proc.on('exit', onExit);
  });
}

export async function benchWatch(options: WatchBenchOptions = {}): Promise<WatchBench> {
  const events = options.events ?? 50_000;
  const providers = options.providers ?? 20;
  const perProvider = options.instancesPerProvider ?? 10;
  const warmup = options.warmup ?? 5_000;
  const simulator = child('simulator', [String(providers), String(perProvider)]);
  let client: ChildProcess | undefined;
  try {
    const { baseUrl } = await next(simulator, 'ready');
    client = child('client', [baseUrl ?? '']);
    await next(client, 'ready');
    for (const [n, measured] of [
      [warmup, false],
      [events, true],
    ] as const) {
      if (n === 0) continue;
      const result = next(client, 'result');
      client.send({ type: 'expect', events: n } satisfies Message);
      const done = next(simulator, 'burst-done');
      simulator.send({ type: 'burst', events: n } satisfies Message);
      const [r, d] = await Promise.all([result, done]);
      if (measured) {
        return {
          eventsPerSecond: (r.events / r.cpuMs) * 1000,
          events: r.events,
          peakRssMb: r.peakRssMb,
          wallEventsPerSecond: (r.events / r.ms) * 1000,
          clientCpuMs: r.cpuMs,
          clientWallMs: r.ms,
          simulatorMs: d.ms,
        };
      }
    }
    throw new Error('no measured burst');
  } finally {
    client?.kill();
    simulator.kill();
  }
}

async function runSimulator(providers: number, perProvider: number): Promise<void> {
  const { startRegistrySimulator } = await import('../lib/registry-simulator/simulator.ts');
  const sim = await startRegistrySimulator({ dependencyDelayMs: 0 });
  const instances: [string, string][] = [];
  for (let p = 0; p < providers; p++) {
    const serviceId = sim.registerService({ appId: 'bench', serviceName: `provider-${p}`, version: '1.0.0' });
    for (let i = 0; i < perProvider; i++) {
      const instanceId = sim.registerInstance(
        serviceId,
        { hostName: `p${p}-i${i}`, endpoints: [`rest://10.0.${p}.${i + 1}:8080`, `highway://10.0.${p}.${i + 1}:7070`], properties: { zone: 'a' }, dataCenterInfo: { name: 'dc', region: 'r1', availableZone: 'z1' } },
        { keepAlive: true },
      );
      instances.push([serviceId, instanceId]);
    }
  }
  let flips = 0;
  process.on('message', (m: Message) => {
    if (m.type !== 'burst') return;
    const started = performance.now();
    let sent = 0;
    // in slices, so the socket drains while the burst is produced
    const slice = (): void => {
      const end = Math.min(m.events, sent + 1_000);
      for (; sent < end; sent++, flips++) {
        const [serviceId, instanceId] = instances[flips % instances.length] as [string, string];
        sim.setInstanceStatus(serviceId, instanceId, Math.floor(flips / instances.length) % 2 === 0 ? 'DOWN' : 'UP');
      }
      if (sent < m.events) setImmediate(slice);
      else process.send?.({ type: 'burst-done', ms: performance.now() - started } satisfies Message);
    };
    slice();
  });
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
  process.send?.({ type: 'ready', baseUrl: sim.baseUrl } satisfies Message);
}

async function runClient(baseUrl: string): Promise<void> {
  const { WatchClient } = await import('../lib/servicecenter/watch-client.ts');
  const client = new WatchClient({ registry: { addresses: [baseUrl] }, listIntervalMs: 60_000 });
  let expected = 0;
  let seen = 0;
  let first = 0;
  let cpu = process.cpuUsage();
  client.on('instance-updated', () => {
    if (expected === 0) return;
    if (seen === 0) first = performance.now();
    seen++;
    if (seen === expected) {
      const ms = performance.now() - first;
      const used = process.cpuUsage(cpu);
      const peakRssMb = process.resourceUsage().maxRSS / 1024;
      process.send?.({ type: 'result', events: seen, ms, cpuMs: (used.user + used.system) / 1000, peakRssMb } satisfies Message);
      expected = 0;
    }
  });
  process.on('message', (m: Message) => {
    if (m.type !== 'expect') return;
    seen = 0;
    expected = m.events;
    // the client is idle until the burst comes, so its CPU time from here is the ingest's
    cpu = process.cpuUsage();
  });
  process.on('disconnect', () => void client.stop().then(() => process.exit(0)));
  await client.start();
  process.send?.({ type: 'ready' } satisfies Message);
}

const isMain = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url;
if (isMain) {
  const roleAt = process.argv.indexOf('--role');
  const role = roleAt >= 0 ? process.argv[roleAt + 1] : undefined;
  const args = roleAt >= 0 ? process.argv.slice(roleAt + 2) : process.argv.slice(2);
  const fail = (error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error);
    if (process.send !== undefined) process.send({ type: 'failed', message } satisfies Message);
    else process.stderr.write(`bench watch: ${message}\n`);
    process.exitCode = 1;
  };
  if (role === 'simulator') runSimulator(Number(args[0]), Number(args[1])).catch(fail);
  else if (role === 'client') runClient(args[0] ?? '').catch(fail);
  else {
    const events = args[0] === undefined ? undefined : Number(args[0]);
    benchWatch(events === undefined ? {} : { events }).then((r) => {
      process.stdout.write(
        `watch: ${r.events} events, client CPU ${r.clientCpuMs.toFixed(0)} ms → ${Math.round(r.eventsPerSecond)} events/s per core; ` +
          `wall ${r.clientWallMs.toFixed(0)} ms (${Math.round(r.wallEventsPerSecond)} events/s, simulator sent in ${r.simulatorMs.toFixed(0)} ms); ` +
          `peak RSS ${r.peakRssMb.toFixed(1)} MB\n`,
      );
    }, fail);
  }
}
