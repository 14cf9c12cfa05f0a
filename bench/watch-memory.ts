// `benchWatchMemory()`: what the watch client holds at scale. A simulator child is seeded
// with 10,000 services / ~100,000 instances (the generator's govern-dump shape); a client
// child (run with --expose-gc) starts a WatchClient, lets it list, register its consumers,
// batch-find every provider and open every socket, then reports heap used and RSS after
// forced collections, next to the same figures taken before the client started. Separate
// processes, so the figures are the client's alone (the simulator holds the registry).
//   npm exec -- node --disable-warning=ExperimentalWarning bench/watch-memory.ts [services] [instancesPerService]
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WatchMemoryOptions {
  /** services in the registry (default 10 000) */
  services?: number;
  /** average instances per service (default 10) */
  instancesPerService?: number;
}

export interface WatchMemoryBench {
  /** heap used after GC with the watch started, MB */
  watcherHeapMb: number;
  /** RSS after GC with the watch started, MB (includes pages freed by V8 but kept by the allocator) */
  watcherRssMb: number;
  /** heap used after GC before the client started (modules loaded), MB */
  baselineHeapMb: number;
  baselineRssMb: number;
  /** what the watch itself keeps: watcherHeapMb - baselineHeapMb */
  retainedHeapMb: number;
  /** peak RSS of the client process over the whole run, MB */
  peakRssMb: number;
  services: number;
  instances: number;
  /** (appId, environment) groups: one consumer and one socket each */
  apps: number;
  /** from start() to every socket open, ms */
  startMs: number;
}

type Message =
  | { type: 'ready'; baseUrl?: string; services?: number; instances?: number }
  | { type: 'result'; heapMb: number; rssMb: number; baselineHeapMb: number; baselineRssMb: number; peakRssMb: number; apps: number; startMs: number }
  | { type: 'failed'; message: string };

const SELF = fileURLToPath(import.meta.url);
const MB = 1024 * 1024;

function child(role: string, args: string[], execArgv: string[] = []): ChildProcess {
  return fork(SELF, ['--role', role, ...args], { execArgv: ['--disable-warning=ExperimentalWarning', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

export async function benchWatchMemory(options: WatchMemoryOptions = {}): Promise<WatchMemoryBench> {
  const services = options.services ?? 10_000;
  const perService = options.instancesPerService ?? 10;
  const simulator = child('simulator', [String(services), String(perService)], ['--max-old-space-size=4096']);
  let client: ChildProcess | undefined;
  try {
    const ready = await next(simulator, 'ready');
    client = child('client', [ready.baseUrl ?? ''], ['--expose-gc']);
    const r = await next(client, 'result');
    return {
      watcherHeapMb: r.heapMb,
      watcherRssMb: r.rssMb,
      baselineHeapMb: r.baselineHeapMb,
      baselineRssMb: r.baselineRssMb,
      retainedHeapMb: r.heapMb - r.baselineHeapMb,
      peakRssMb: r.peakRssMb,
      services: ready.services ?? 0,
      instances: ready.instances ?? 0,
      apps: r.apps,
      startMs: r.startMs,
    };
  } finally {
    client?.kill();
    simulator.kill();
  }
}

async function runSimulator(services: number, perService: number): Promise<void> {
  const { startRegistrySimulator } = await import('../lib/registry-simulator/simulator.ts');
  const { generateRegistry } = await import('../test/support/registry-generator.ts');
  const sim = await startRegistrySimulator({ dependencyDelayMs: 0 });
  const seeded = sim.seed(generateRegistry({ services, instancesPerService: perService, seed: 7 }));
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
  process.send?.({ type: 'ready', baseUrl: sim.baseUrl, services: seeded.services, instances: seeded.instances } satisfies Message);
}

function collect(): { heapMb: number; rssMb: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('bench watch-memory: the client needs --expose-gc');
  // several passes: weak references and finalisers free more on the later ones
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  return { heapMb: m.heapUsed / MB, rssMb: m.rss / MB };
}

async function runClient(baseUrl: string): Promise<void> {
  const { WatchClient } = await import('../lib/servicecenter/watch-client.ts');
  const client = new WatchClient({ registry: { addresses: [baseUrl], timeoutMs: 60_000 }, listIntervalMs: 3_600_000 });
  const baseline = collect();
  const started = performance.now();
  await client.start();
  const consumers = client.consumers();
  if (consumers.length === 0 || !consumers.every((c) => c.connected)) {
    throw new Error(`bench watch-memory: ${consumers.filter((c) => c.connected).length} of ${consumers.length} sockets open after start`);
  }
  const startMs = performance.now() - started;
  const after = collect();
  process.send?.({
    type: 'result',
    heapMb: after.heapMb,
    rssMb: after.rssMb,
    baselineHeapMb: baseline.heapMb,
    baselineRssMb: baseline.rssMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    apps: consumers.length,
    startMs,
  } satisfies Message);
  process.on('disconnect', () => void client.stop().then(() => process.exit(0)));
}

const isMain = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url;
if (isMain) {
  const roleAt = process.argv.indexOf('--role');
  const role = roleAt >= 0 ? process.argv[roleAt + 1] : undefined;
  const args = roleAt >= 0 ? process.argv.slice(roleAt + 2) : process.argv.slice(2);
  const fail = (error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error);
    if (process.send !== undefined) process.send({ type: 'failed', message } satisfies Message);
    else process.stderr.write(`bench watch-memory: ${message}\n`);
    process.exitCode = 1;
  };
  if (role === 'simulator') runSimulator(Number(args[0]), Number(args[1])).catch(fail);
  else if (role === 'client') runClient(args[0] ?? '').catch(fail);
  else {
    const services = args[0] === undefined ? undefined : Number(args[0]);
    const perService = args[1] === undefined ? undefined : Number(args[1]);
    benchWatchMemory({ ...(services === undefined ? {} : { services }), ...(perService === undefined ? {} : { instancesPerService: perService }) }).then((r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
    }, fail);
  }
}
