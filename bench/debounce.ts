// `npm run bench -- debounce`: how fast an isolated registry change reaches the cluster,
// and how many pushes a storm of events costs under the debounce rules.
//  - quiet latency: an instance registered (or set DOWN) in the registry simulator → its
//    WorkloadEntry present (or gone) in the test API server, through the real parts:
//    simulator → WatchClient → watchEventHandler → LocalDebouncer (systemClock,
//    default 1 s quiet time) → pushServices (registry read over HTTP, dynalite state,
//    KubeClusterWriter with its default rate limit) → test API server. Measured from just
//    before the simulator call to the first poll (every 10 ms, of the server's store) that
//    sees the change; changes are spaced further apart than the quiet time.
//  - storm: 10,000 events (one service key each) spread evenly over 60 s, run through the
//    pure state machine (onEvents / onTick) on a simulated clock with each tick at the time
//    the machine asked for, and again through the LocalDebouncer on the manual clock.
// Runs alone too: `npm exec -- node --disable-warning=ExperimentalWarning bench/debounce.ts`.
import { pathToFileURL } from 'node:url';
import { DEFAULT_DEBOUNCE_CONFIG, type DebounceConfig } from '../lib/debounce/config.ts';
import { onEvents, onTick, type Cycle, type PushReason, type Step } from '../lib/debounce/cycle.ts';
import { createLocalDebouncer } from '../lib/debounce/local-debouncer.ts';
import { systemClock } from '../lib/time/clock.ts';
import { createManualClock } from '../lib/time/manual-clock.ts';
import { createKubeClusterWriter } from '../lib/kube/index.ts';
import { SERVICE_KEY_ANNOTATION } from '../lib/model/ownership.ts';
import { serviceKeyOf, workloadEntryName } from '../lib/names/service-names.ts';
import { percentile } from '../lib/pipeline/metrics.ts';
import { pushServices } from '../lib/pipeline/push.ts';
import { createRegistrySource } from '../lib/runtime/registry-source.ts';
import { watchEventHandler } from '../lib/runtime/watch-forwarder.ts';
import { RegistryClient, WatchClient } from '../lib/servicecenter/index.ts';
import { generateRegistry, seededRandom } from '../test/support/registry-generator.ts';
import { startRegistrySimulator } from '../lib/registry-simulator/simulator.ts';
import { startPipelineRig } from './pipeline-support.ts';

export interface DebounceBenchOptions {
  /** isolated changes measured (default 30) */
  changes?: number;
  /** services around the probed one in the registry (default 500) */
  backgroundServices?: number;
  stormEvents?: number;
  stormSeconds?: number;
}

export interface DebounceBench {
  quietLatencyP50Ms: number;
  quietLatencyP99Ms: number;
  quietLatencyMaxMs: number;
  quietChanges: number;
  /** pushes the quiet run made (one per change when nothing else stirs) */
  quietPushes: number;
  /** simulator call → the watch event handed to the debouncer, p50 */
  watchDeliveryP50Ms: number;
  /** pushServices duration per push, p50 */
  pushMsP50: number;
  quietMs: number;
  stormEvents: number;
  stormSeconds: number;
  stormPushes: number;
  /** what the specified rules give for this storm, computed here without cycle.ts (maxEvents counts events) */
  stormPushesExpected: number;
  stormMaxEventsPushes: number;
  stormMaxDelayPushes: number;
  stormQuietPushes: number;
  /** longest first-event → push decision of a storm cycle, simulated ms */
  stormMaxCycleMs: number;
  /** the same storm through the LocalDebouncer on the manual clock */
  stormPushesLocalDebouncer: number;
  /** the same storm with maxEvents out of reach: what the quiet and max-delay rules alone give */
  stormPushesMaxEventsOff: number;
  note: string;
}

// ---- storm --------------------------------------------------------------------------------

interface StormResult {
  pushes: number;
  byReason: Record<PushReason, number>;
  maxCycleMs: number;
}

function stormKeys(events: number): string[] {
  const rnd = seededRandom(3);
  return Array.from({ length: events }, () => serviceKeyOf({ environment: '', appId: 'shop', serviceName: `svc${Math.floor(rnd() * 500)}` }));
}

const eventTime = (i: number, events: number, seconds: number): number => Math.floor((i * seconds * 1000) / events);

/**
 * The debounce rules as specified, on their own, for the expected figure: one event at
 * each eventTime; a cycle is pushed when its timer (quiet after the last event, or max
 * delay after the first) is due at or before the next event, or at once when it holds
 * `maxEvents` events, every event counted (a repeated service too).
 */
export function expectedStormPushes(events: number, seconds: number, config: DebounceConfig): number {
  let pushes = 0;
  let first: number | undefined;
  let last = 0;
  let held = 0;
  for (let i = 0; i < events; i++) {
    const t = eventTime(i, events, seconds);
    if (first !== undefined && (t - last >= config.quietMs || t - first >= config.maxDelayMs)) {
      pushes++;
      first = undefined;
      held = 0;
    }
    first ??= t;
    last = t;
    held++;
    if (held >= config.maxEvents) {
      pushes++;
      first = undefined;
      held = 0;
    }
  }
  return first === undefined ? pushes : pushes + 1;
}

/** The pure machine on a simulated clock: each tick comes exactly when the machine asked for it. */
function stormOnStateMachine(keys: readonly string[], seconds: number, config: DebounceConfig): StormResult {
  const result: StormResult = { pushes: 0, byReason: { quiet: 0, 'max-delay': 0, 'max-events': 0, flush: 0 }, maxCycleMs: 0 };
  let state: Cycle = null;
  let tickAt: number | null = null;
  const apply = (step: Step, now: number): void => {
    state = step.state;
    const d = step.decision;
    if (d.kind === 'push') {
      result.pushes++;
      result.byReason[d.reason]++;
      result.maxCycleMs = Math.max(result.maxCycleMs, now - d.firstEventAt);
      tickAt = d.nextTickAt;
    } else {
      tickAt = d.kind === 'wait' ? d.untilMs : null;
    }
  };
  keys.forEach((key, i) => {
    const t = eventTime(i, keys.length, seconds);
    // A timer due at the event's instant fires first, as the manual clock orders them.
    while (tickAt !== null && tickAt <= t) apply(onTick(state, tickAt, config), tickAt);
    apply(onEvents(state, [key], t, config), t);
  });
  for (let guard = 0; tickAt !== null && guard < 10; guard++) apply(onTick(state, tickAt, config), tickAt);
  if (state !== null) throw new Error('bench debounce: the storm left a cycle open');
  return result;
}

async function stormOnLocalDebouncer(keys: readonly string[], seconds: number, config: DebounceConfig): Promise<number> {
  const clock = createManualClock(0);
  let pushes = 0;
  const debouncer = createLocalDebouncer({ config, clock, onPush: () => void pushes++ });
  try {
    for (let i = 0; i < keys.length; i++) {
      await clock.advanceTo(eventTime(i, keys.length, seconds));
      debouncer.add([keys[i] as string]);
    }
    await clock.runAll(100);
    await debouncer.idle();
    if (debouncer.snapshot() !== null) throw new Error('bench debounce: the LocalDebouncer storm left a cycle open');
    return pushes;
  } finally {
    debouncer.close();
  }
}

// ---- quiet latency ------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the time of the first 10 ms poll at which `seen()` holds; rejects after `timeoutMs`. */
function pollUntil(seen: () => boolean, timeoutMs: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const timer = setInterval(() => {
      if (seen()) {
        clearInterval(timer);
        resolve(performance.now());
      } else if (performance.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`bench debounce: ${what} not seen within ${timeoutMs} ms`));
      }
    }, 10);
  });
}

interface QuietResult {
  latencies: number[];
  deliveries: number[];
  pushes: number;
  pushMs: number[];
}

async function quietRun(changes: number, backgroundServices: number): Promise<QuietResult> {
  const sim = await startRegistrySimulator({ dependencyDelayMs: 0 });
  const client = new RegistryClient({ addresses: [sim.baseUrl] });
  let watch: WatchClient | undefined;
  let rig: Awaited<ReturnType<typeof startPipelineRig>> | undefined;
  try {
    sim.seed(generateRegistry({ services: backgroundServices, instancesPerService: 4, seed: 17 }));
    const probeId = sim.registerService({ appId: 'shop', serviceName: 'latency-probe', version: '1.0.0' });
    for (let i = 0; i < 5; i++) sim.registerInstance(probeId, { hostName: `probe-${i}`, endpoints: [`rest://10.3.0.${i + 1}:8080`] }, { keepAlive: true });
    const probeKey = serviceKeyOf({ environment: '', appId: 'shop', serviceName: 'latency-probe' });

    rig = await startPipelineRig({ registry: createRegistrySource(client, { consumerServiceName: 'sc2mesh-watcher' }), concurrency: 16 });
    const server = rig.server;
    if (server === undefined) throw new Error('bench debounce: rig without a cluster');
    await rig.syncAndPush('converge');
    const namespace = rig.deps.render.namespace;
    const probeEntry = server.store.list('ServiceEntry', namespace).find((o) => {
      const metadata = o['metadata'] as { annotations?: Record<string, string> } | undefined;
      return metadata?.annotations?.[SERVICE_KEY_ANNOTATION] === probeKey;
    });
    const seName = (probeEntry?.['metadata'] as { name?: string } | undefined)?.name;
    if (seName === undefined) throw new Error('bench debounce: the probe service was not converged');

    // Measured pushes go through a writer with the production rate limit (the converge
    // above ran without one); it starts knowing nothing, as after a restart.
    rig.deps.cluster = createKubeClusterWriter({ kubeConfig: server.kubeConfig, namespace, source: rig.deps.render.source });

    const deps = rig.deps;
    const result: QuietResult = { latencies: [], deliveries: [], pushes: 0, pushMs: [] };
    let changeStartedAt: number | undefined;
    const debouncer = createLocalDebouncer({
      clock: systemClock,
      onPush: async (batch) => {
        const started = performance.now();
        const report = await pushServices(batch.keys, deps, `push-${result.pushes}`);
        result.pushMs.push(performance.now() - started);
        result.pushes++;
        if (report.failedKeys.length > 0) throw new Error(`push failed for ${report.failedKeys.join(', ')}`);
      },
    });
    let pushError: unknown;
    watch = new WatchClient({ registry: client });
    const dirty = (keys: readonly string[]): void => {
      if (changeStartedAt !== undefined) result.deliveries.push(performance.now() - changeStartedAt);
      changeStartedAt = undefined;
      debouncer.add(keys);
    };
    watch.onAny(watchEventHandler({ dirty, resync: () => {} }, deps.metrics));
    try {
      await watch.start();
      let lastInstance = '';
      for (let i = 0; i < changes; i++) {
        const register = i % 2 === 0;
        const instanceId = register ? `probe-added-${i}` : lastInstance;
        const weName = workloadEntryName(seName, instanceId);
        const present = (): boolean => server.store.get('WorkloadEntry', namespace, weName) !== undefined;
        const started = performance.now();
        changeStartedAt = started;
        if (register) {
          sim.registerInstance(probeId, { instanceId, hostName: instanceId, endpoints: [`rest://10.3.1.${i + 1}:8080`] }, { keepAlive: true });
        } else {
          sim.setInstanceStatus(probeId, instanceId, 'DOWN');
        }
        const seenAt = await pollUntil(register ? present : () => !present(), 10_000, `${register ? 'WorkloadEntry' : 'removal of WorkloadEntry'} ${weName}`);
        result.latencies.push(seenAt - started);
        lastInstance = instanceId;
        // Isolated changes: the cycle has closed and every push has finished before the next.
        await debouncer.idle();
        if (debouncer.snapshot() !== null) throw new Error('bench debounce: a cycle is still open after the change was seen');
        await sleep(150);
      }
    } catch (error) {
      pushError = error;
    } finally {
      debouncer.close();
      await debouncer.idle();
    }
    if (pushError !== undefined) throw pushError;
    return result;
  } finally {
    await watch?.stop();
    client.close();
    await rig?.close();
    await sim.close();
  }
}

export async function benchDebounce(options: DebounceBenchOptions = {}): Promise<DebounceBench> {
  const changes = options.changes ?? 30;
  const events = options.stormEvents ?? 10_000;
  const seconds = options.stormSeconds ?? 60;
  const config: DebounceConfig = { ...DEFAULT_DEBOUNCE_CONFIG };

  const keys = stormKeys(events);
  const storm = stormOnStateMachine(keys, seconds, config);
  const uncapped = stormOnStateMachine(keys, seconds, { ...config, maxEvents: events + 1 });
  const stormPushesLocalDebouncer = await stormOnLocalDebouncer(keys, seconds, config);

  const quiet = await quietRun(changes, options.backgroundServices ?? 500);
  return {
    quietLatencyP50Ms: percentile(quiet.latencies, 0.5) ?? Number.NaN,
    quietLatencyP99Ms: percentile(quiet.latencies, 0.99) ?? Number.NaN,
    quietLatencyMaxMs: Math.max(...quiet.latencies),
    quietChanges: quiet.latencies.length,
    quietPushes: quiet.pushes,
    watchDeliveryP50Ms: percentile(quiet.deliveries, 0.5) ?? Number.NaN,
    pushMsP50: percentile(quiet.pushMs, 0.5) ?? Number.NaN,
    quietMs: config.quietMs,
    stormEvents: events,
    stormSeconds: seconds,
    stormPushes: storm.pushes,
    stormPushesExpected: expectedStormPushes(events, seconds, config),
    stormMaxEventsPushes: storm.byReason['max-events'],
    stormMaxDelayPushes: storm.byReason['max-delay'],
    stormQuietPushes: storm.byReason.quiet,
    stormMaxCycleMs: storm.maxCycleMs,
    stormPushesLocalDebouncer,
    stormPushesMaxEventsOff: uncapped.pushes,
    note: `storm on a simulated clock: the debounce state machine with default settings (quiet ${config.quietMs} ms, max delay ${config.maxDelayMs} ms, max events ${config.maxEvents}), one key per event; quiet latency through the real parts`,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await benchDebounce())}\n`);
}
