// The watcher: the always-on part of the serverless deployment. It holds the registry's
// watch sockets (a Lambda cannot) and turns every instance or service change into a
// "these services are dirty" message on the work queue; the push function does the rest.
//
//   watch events ──▶ key batcher (one message per window) ──▶ SQS
//   resync-needed ──▶ a fresh listing (shared by requests close together) ──▶ the keys of
//                     every service of those apps (reason 'resync') ──▶ SQS
//
// Messages carry keys only and the push re-reads the registry, so two replicas running at
// once (a rolling deploy, a split brain) are harmless: they send duplicate messages, and
// duplicates converge to the same cluster. No leader election is needed.
import { ConfigError, type Sc2meshConfig } from '../config/index.ts';
import { createLogger, type Logger } from '../log.ts';
import { PipelineMetrics } from '../pipeline/metrics.ts';
import type { WorkQueue } from '../queue/work-queue.ts';
import { startOpsServer, type Health, type OpsServer } from '../server/ops-server.ts';
import { WatchClient, type RegistryClient, type WatchClientOptions } from '../servicecenter/index.ts';
import { createRegistryClient } from './registry-connection.ts';
import { createQueue } from './queue-connection.ts';
import { createKeyBatcher } from './key-batcher.ts';
import { watchEventHandler } from './watch-forwarder.ts';
import { createWatcherHealth, type WatchSample } from './watcher-health.ts';
import { newWatcherCounts, watcherMetricsText } from './watcher-metrics.ts';
import { createResyncCoalescer } from './watcher-resync.ts';
import { systemClock, type Clock } from '../time/clock.ts';

export const DEFAULT_BATCH_WINDOW_MS = 100;

export interface WatcherOptions {
  logger?: Logger;
  /** keys are collected this long into one queue message (default 100 ms) */
  batchWindowMs?: number;
  /** no open watch socket for longer than this makes /healthz answer 503 (default 60 s) */
  healthGraceMs?: number;
  /** how often the health rule samples the sockets (default 1 s) */
  healthSampleMs?: number;
  /** watch client timings (tests make them short) */
  watch?: Pick<WatchClientOptions, 'pingIntervalMs' | 'connectTimeoutMs' | 'reconnect'>;
  /** replaces the SQS queue (tests); the caller closes it */
  queue?: WorkQueue;
  /** the key batcher's window and the health rule's time (tests) */
  clock?: Pick<Clock, 'now' | 'setTimer'>;
}

export interface Watcher {
  /** /healthz and /metrics, unless config.server.port is 0 */
  opsUrl: string | undefined;
  watch: WatchClient;
  metrics: PipelineMetrics;
  health(): Health;
  metricsText(): string;
  /** keys received and not yet on the queue */
  pendingKeys(): number;
  /**
   * Stops the watch, then sends every key still held (so nothing received is lost) and
   * waits for resyncs in flight; resolves with the keys that could not be sent.
   */
  stop(): Promise<{ unsent: number }>;
}

export async function startWatcher(config: Sc2meshConfig, options: WatcherOptions = {}): Promise<Watcher> {
  if (options.queue === undefined && config.queue.url === '') {
    throw new ConfigError(
      'invalid configuration: queue.url: the watcher needs the work queue URL (it has no Lambda ARN to build one from queue.name); set it with SC2MESH_QUEUE_URL or queue.url in the config file',
      { source: 'default', key: 'queue.url' },
    );
  }
  const logger = (options.logger ?? createLogger({ level: config.log.level })).child({ component: 'watcher' });
  const clock = options.clock ?? systemClock;
  const now = (): number => clock.now();
  const metrics = new PipelineMetrics();
  const counts = newWatcherCounts();
  const closers: (() => void | Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        logger.warn({ err: error }, 'closing a watcher part failed');
      }
    }
  };

  let client: RegistryClient;
  let queue: WorkQueue;
  try {
    client = await createRegistryClient(config, logger);
    closers.push(() => client.close());
    if (options.queue === undefined) {
      const sqs = createQueue(config, config.queue.url);
      closers.push(sqs.close);
      queue = sqs.queue;
    } else {
      queue = options.queue;
    }
  } catch (error) {
    await closeAll();
    throw error;
  }

  // After stop, the batcher's retry timer may still fire once: its keys were reported as
  // unsent already, so it is let go quietly instead of re-arming the timer for ever.
  let closed = false;
  const batcher = createKeyBatcher({
    windowMs: options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS,
    clock,
    send: async (keys, oldestAt) => {
      if (closed) return;
      await queue.send([{ v: 1, keys, reason: 'watch', at: oldestAt }]);
      counts.messagesSent++;
      logger.debug({ keys: keys.length, ageMs: now() - oldestAt }, 'dirty keys sent');
    },
    onError: (error, keys) => {
      counts.sendErrors++;
      logger.warn({ err: error, keys: keys.length }, 'sending dirty keys failed; kept and tried again');
    },
  });

  const watch = new WatchClient({
    registry: client,
    consumerServiceName: config.registry.watcherServiceName,
    listIntervalMs: config.registry.listIntervalMs,
    logger,
    ...options.watch,
  });

  const resync = createResyncCoalescer({
    list: () => client.listServices(),
    isWatched: (s) => watch.isWatched(s),
    send: async (keys, apps) => {
      await queue.send([{ v: 1, keys, reason: 'resync', at: now() }]);
      counts.messagesSent++;
      logger.info({ apps: apps.map((a) => `${a.environment}/${a.appId}`), keys: keys.length }, 'resync: every service of the apps marked dirty');
    },
    onError: (error, apps) => {
      counts.resyncErrors++;
      logger.warn({ err: error, apps: apps.map((a) => `${a.environment}/${a.appId}`) }, 'resync failed; the per-minute sync will catch what was missed');
    },
  });
  watch.onAny(
    watchEventHandler(
      {
        dirty: (keys) => batcher.add(keys),
        resync: (appId, environment, reason) => {
          counts.resyncs++;
          logger.info({ appId, environment, reason }, 'watch events may have been lost');
          resync.request({ appId, environment });
        },
      },
      metrics,
    ),
  );

  let started = false;
  const healthRule = createWatcherHealth(options.healthGraceMs === undefined ? {} : { graceMs: options.healthGraceMs });
  const sample = (): WatchSample => ({ started, sockets: watch.consumers(), listErrors: watch.counters().listErrors });
  const health = (): Health => healthRule.check(sample(), now());
  // Sampled between health checks too, so "down for 60 s" is measured, not guessed from
  // how often the orchestrator happens to ask.
  const sampler = setInterval(() => void health(), options.healthSampleMs ?? 1000);
  sampler.unref();
  closers.push(() => clearInterval(sampler));

  const metricsText = (): string => {
    const sockets = watch.consumers();
    const held = watch.held();
    return watcherMetricsText(metrics, watch.counters(), counts, {
      socketsOpen: sockets.filter((s) => s.connected).length,
      apps: sockets.length,
      pendingKeys: batcher.pending(),
      servicesHeld: held.services,
      instancesHeld: held.instances,
    });
  };

  let ops: OpsServer | undefined;
  try {
    // Up before the watch starts, so /healthz answers "starting" instead of refusing.
    if (config.server.port !== 0) {
      ops = await startOpsServer({ host: config.server.host, port: config.server.port, health, metrics: metricsText });
      const server = ops;
      closers.push(() => server.close());
      logger.info({ url: ops.url }, 'ops server listening (/healthz, /metrics)');
    }
    await watch.start();
  } catch (error) {
    await watch.stop();
    await closeAll();
    throw error;
  }
  started = true;
  const first = health();
  logger.info({ registry: config.registry.addresses, queue: config.queue.url, ...first.details }, 'watcher started');

  let stopping: Promise<{ unsent: number }> | undefined;
  return {
    opsUrl: ops?.url,
    watch,
    metrics,
    health,
    metricsText,
    pendingKeys: () => batcher.pending(),
    stop() {
      stopping ??= (async () => {
        await watch.stop();
        // Nothing arrives any more: what the batcher holds goes out now.
        await batcher.flush();
        await resync.idle();
        const unsent = batcher.pending();
        if (unsent > 0) logger.error({ keys: unsent }, 'dirty keys could not be sent before stopping; the per-minute sync will find their changes');
        batcher.close();
        closed = true;
        await closeAll();
        logger.info({ messagesSent: counts.messagesSent, unsent }, 'watcher stopped');
        return { unsent };
      })();
      return stopping;
    },
  };
}
