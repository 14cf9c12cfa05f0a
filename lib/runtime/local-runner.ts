// `sc2mesh run`: the whole pipeline in one process. The same code paths as the serverless
// deployment, hosted differently: watch events go straight into an in-memory debouncer
// instead of SQS, the sync runs on a timer instead of a schedule, state is an embedded
// dynalite persisted to a folder (or a DynamoDB table). A restart loses nothing: the
// first sync compares the registry with the persisted state and pushes what changed.
import type { Sc2meshConfig } from '../config/index.ts';
import { newCorrelationId, type Logger } from '../log.ts';
import { createLocalDebouncer, type LocalDebouncer, type PushBatch } from '../debounce/local-debouncer.ts';
import { systemClock } from '../time/clock.ts';
import type { DirtyMessage } from '../queue/dirty-message.ts';
import type { WorkQueue } from '../queue/work-queue.ts';
import type { PushReport } from '../pipeline/push.ts';
import { pushCycle } from '../pipeline/push-cycle.ts';
import { runScheduledSync, type ScheduledSyncReport } from '../pipeline/scheduled-sync.ts';
import { WatchClient } from '../servicecenter/index.ts';
import { startOpsServer, type OpsServer } from '../server/ops-server.ts';
import { collectStatus } from '../server/ops-api.ts';
import { createContentReader } from '../server/live-content.ts';
import { runResync } from '../pipeline/resync.ts';
import { announceStateHolder } from '../state/embedded-dynalite.ts';
import { randomBytes } from 'node:crypto';
import { buildRuntime, type Runtime } from './build-runtime.ts';
import { watchEventHandler } from './watch-forwarder.ts';

export type RunnerEvent =
  | { type: 'push'; batch: PushBatch; report: PushReport; latencyMs: number }
  | { type: 'sync'; report: ScheduledSyncReport; ms: number }
  | { type: 'error'; where: 'push' | 'sync'; error: unknown };

export interface LocalRunner {
  runtime: Runtime;
  /** /healthz and /metrics, when config.server.port is not 0 */
  opsUrl: string | undefined;
  /** one scheduled sync now (serialised with the timer's) */
  syncNow(): Promise<ScheduledSyncReport | undefined>;
  /** push the open debounce cycle now and wait for every push */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalRunnerOptions {
  logger?: Logger;
  onEvent?: (event: RunnerEvent) => void;
  /** no watch client: the periodic sync alone (`run --once`, registries without the watch API) */
  watch?: boolean;
  /** no timer: syncs only when asked (`run --once`) */
  periodicSync?: boolean;
}

export async function startLocalRunner(config: Sc2meshConfig, options: LocalRunnerOptions = {}): Promise<LocalRunner> {
  const runtime = await buildRuntime(config, options.logger === undefined ? {} : { logger: options.logger });
  const { logger, metrics } = runtime;
  const emit = options.onEvent ?? (() => {});
  const clock = systemClock;

  const debouncer: LocalDebouncer = createLocalDebouncer({
    config: config.debounce,
    clock,
    onPush: async (batch) => {
      const correlationId = newCorrelationId();
      const report = await pushCycle(batch.keys, runtime, correlationId, batch.firstEventAt, { concurrency: config.kube.concurrency });
      const latencyMs = clock.now() - batch.firstEventAt;
      emit({ type: 'push', batch, report, latencyMs });
      // Thrown keys go back into the debouncer as new events: retried, never dropped.
      if (report.failedKeys.length > 0) throw new Error(`push failed for ${report.failedKeys.length} services: ${report.failedKeys.slice(0, 3).join(', ')}`);
    },
    onError: (error, batch) => {
      emit({ type: 'error', where: 'push', error });
      logger.error({ err: error, keys: batch.keys.length }, 'push failed; keys retried after the quiet time');
    },
  });

  // The sync's "queue" is the debouncer itself.
  const queue: WorkQueue = {
    async send(messages: readonly DirtyMessage[]) {
      for (const m of messages) debouncer.add(m.keys);
      return { messages: messages.length, requests: 0, retriedEntries: 0 };
    },
  };

  let syncing: Promise<ScheduledSyncReport | undefined> | undefined;
  // A gauge, not a histogram: one sync a minute, so every scrape sees each figure anyway.
  let lastSyncMs = 0;
  const syncNow = (): Promise<ScheduledSyncReport | undefined> => {
    syncing ??= (async () => {
      const started = clock.now();
      try {
        const report = await runScheduledSync({ ...runtime, queue, auditPeriodMinutes: config.audit.periodMinutes }, newCorrelationId());
        lastSyncMs = clock.now() - started;
        emit({ type: 'sync', report, ms: lastSyncMs });
        return report;
      } catch (error) {
        emit({ type: 'error', where: 'sync', error });
        logger.error({ err: error }, 'sync failed; next one at the next interval');
        return undefined;
      } finally {
        syncing = undefined;
      }
    })();
    return syncing;
  };

  let watch: WatchClient | undefined;
  let ops: OpsServer | undefined;
  let timer: NodeJS.Timeout | undefined;
  // While this process holds the embedded state folder, no other can open it: the
  // operator commands are served here instead, one resync at a time.
  const token = randomBytes(24).toString('base64url');
  let reconciling: Promise<unknown> = Promise.resolve();
  const api = {
    token,
    status: async (runs: number) => {
      const summary = await collectStatus(runtime.state, runs, debouncer.snapshot());
      const notMapped = runtime.metrics.governanceRulesNotMapped;
      return notMapped === undefined ? summary : { ...summary, governance: { rulesNotMapped: notMapped } };
    },
    reconcile: (o: { dryRun: boolean; force: boolean }) => {
      const run = reconciling.then(async () => {
        const content = await createContentReader(config);
        return runResync({ ...runtime, ...(content === undefined ? {} : { content }) }, newCorrelationId(), o);
      });
      reconciling = run.catch(() => {});
      return run;
    },
  };
  try {
    // The ops server first: a port in use fails the start at once, not after the first sync.
    if (config.server.port !== 0) {
      ops = await startOpsServer({
        api,
        host: config.server.host,
        port: config.server.port,
        health: () => {
          const consumers = watch?.consumers() ?? [];
          const connected = consumers.filter((c) => c.connected).length;
          return { ok: watch === undefined || consumers.length === 0 || connected > 0, details: { watchSockets: connected, apps: consumers.length } };
        },
        metrics: () => metrics.toPrometheus({ pending_keys: debouncer.snapshot()?.keys.length ?? 0, last_sync_duration_ms: lastSyncMs }),
      }).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`server.port ${config.server.port} on ${config.server.host} is already in use; choose another with --server-port, or 0 for no ops server`);
        throw error;
      });
    }
    if (options.watch !== false) {
      watch = new WatchClient({ registry: runtime.client, consumerServiceName: config.registry.watcherServiceName, listIntervalMs: config.registry.listIntervalMs, logger });
      watch.onAny(watchEventHandler({ dirty: (keys) => debouncer.add(keys), resync: () => void syncNow() }, metrics));
      await watch.start();
    }
    await syncNow();
    timer = options.periodicSync === false ? undefined : setInterval(() => void syncNow(), config.sync.intervalMs);
    if (config.state.table === '') await announceStateHolder(config.state.dir, { command: 'sc2mesh run', ...(ops === undefined ? {} : { opsUrl: ops.url, token }) });
  } catch (error) {
    // A start that fails part-way closes what it opened: no timer, socket or open state folder left behind.
    if (timer !== undefined) clearInterval(timer);
    await watch?.stop().catch(() => {});
    await syncing;
    debouncer.close();
    await ops?.close().catch(() => {});
    await runtime.close().catch(() => {});
    throw error;
  }

  let stopped = false;
  return {
    runtime,
    opsUrl: ops?.url,
    syncNow,
    flush: () => debouncer.flush(),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      await watch?.stop();
      await syncing;
      // What the debouncer holds is pushed now, so a stop loses nothing it had heard of.
      await debouncer.flush();
      debouncer.close();
      await ops?.close();
      await runtime.close();
    },
  };
}
