// The serverless push step as one "process" (a Lambda container): its own registry client,
// Kubernetes writer and DynamoDB client over the shared simulator, API server and table,
// the pipeline's ports wrapped so that it can die at a chosen step (mortal-process.ts),
// and a driver that plays the SQS event source over the in-process queue on a manual
// clock: batches are handed to the current process; a batch whose process died is not
// acknowledged and comes back after the visibility timeout, to whichever process runs then.
import type { KubeConfig } from '@kubernetes/client-node';
import { silentLogger } from '../../../lib/log.ts';
import { RegistryClient } from '../../../lib/servicecenter/index.ts';
import { createRegistrySource } from '../../../lib/runtime/registry-source.ts';
import { createKubeClusterWriter } from '../../../lib/kube/index.ts';
import { createDynamoStateStore } from '../../../lib/state/dynamo-store.ts';
import { localDynamoClient } from '../../../lib/state/embedded-dynalite.ts';
import { PipelineMetrics } from '../../../lib/pipeline/metrics.ts';
import { handlePushBatch, type PushBatchDeps } from '../../../lib/pipeline/push-batch.ts';
import type { ScheduledSyncDeps } from '../../../lib/pipeline/scheduled-sync.ts';
import type { ClusterTarget, RegistrySource } from '../../../lib/pipeline/contracts.ts';
import type { StateStore } from '../../../lib/state/state-store.ts';
import type { RenderOptions } from '../../../lib/render/options.ts';
import { DEFAULT_DELETION_GUARD } from '../../../lib/plan/deletion-guard.ts';
import type { DebounceConfig } from '../../../lib/debounce/config.ts';
import type { ManualClock } from '../../../lib/time/manual-clock.ts';
import type { MemoryQueue } from '../../../lib/queue/memory-queue.ts';
import type { BatchResult, QueueRecord, WorkQueue } from '../../../lib/queue/work-queue.ts';
import { MortalProcess, ProcessKilled, type KillPoint } from './mortal-process.ts';

export interface PushProcessOptions {
  registryUrl: string;
  kubeConfig: KubeConfig;
  dynamoEndpoint: string;
  tableName: string;
  render: RenderOptions;
  debounce: DebounceConfig;
  queue: MemoryQueue;
  clock: ManualClock;
  kill?: KillPoint;
}

let invocations = 0;

export class PushProcess {
  readonly mortal: MortalProcess;
  readonly deps: PushBatchDeps;
  readonly syncDeps: ScheduledSyncDeps;
  readonly #close: () => void;

  constructor(options: PushProcessOptions) {
    this.mortal = new MortalProcess(options.kill);
    const client = new RegistryClient({ addresses: [options.registryUrl], timeoutMs: 2_000 });
    const dynamo = localDynamoClient(options.dynamoEndpoint);
    const cluster = createKubeClusterWriter({
      kubeConfig: options.kubeConfig,
      namespace: options.render.namespace,
      source: options.render.source,
      rateLimit: false,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      timeoutMs: 5_000,
    });
    const m = this.mortal;
    const registry = m.wrap<RegistrySource>('registry', createRegistrySource(client, { consumerServiceName: 'sc2mesh-watcher' }));
    const state = m.wrap<StateStore>('state', createDynamoStateStore({ client: dynamo, tableName: options.tableName, logger: silentLogger }));
    const queue = m.wrap<WorkQueue>('queue', { send: (messages, sendOptions) => options.queue.send(messages, sendOptions) });
    const common = {
      registry,
      cluster: m.wrap<ClusterTarget>('cluster', cluster),
      state,
      queue,
      render: options.render,
      guard: { ...DEFAULT_DELETION_GUARD },
      metrics: new PipelineMetrics(),
      logger: silentLogger,
      clock: options.clock,
    };
    this.deps = { ...common, debounce: options.debounce };
    this.syncDeps = { ...common, auditPeriodMinutes: 15 };
    let closed = false;
    this.#close = () => {
      if (closed) return;
      closed = true;
      client.close();
      dynamo.destroy();
    };
  }

  /** One invocation with a batch: its report, or a rejection when the process died during it. */
  async handle(records: readonly QueueRecord[]): Promise<BatchResult> {
    if (this.mortal.killed) throw new ProcessKilled('a dead process was handed a batch');
    const died = this.mortal.death.then(() => {
      throw new ProcessKilled(`died at ${this.mortal.killedAt ?? '?'}`);
    });
    const report = await Promise.race([handlePushBatch(records, this.deps, `push-${++invocations}`), died]);
    if (this.mortal.hostEvent('ack')) throw new ProcessKilled(`died at ${this.mortal.killedAt ?? '?'}`);
    return { batchItemFailures: report.batchItemFailures };
  }

  close(): void {
    this.#close();
  }
}

/** Plays Lambda's SQS event source over the in-process queue, on the manual clock. */
export class QueueDriver {
  current: PushProcess | undefined;
  readonly #queue: MemoryQueue;
  readonly #clock: ManualClock;
  #running: Promise<unknown> | undefined;

  constructor(queue: MemoryQueue, clock: ManualClock) {
    this.#queue = queue;
    this.#clock = clock;
    queue.consume((records) => {
      const process = this.current;
      if (process === undefined) throw new Error('no process to hand the batch to');
      const run = process.handle(records);
      this.#running = run;
      return run;
    });
  }

  /**
   * Delivers batches, moving the clock on when nothing is visible, until the queue is
   * empty or `stop()` holds (checked between batches). Fails after `maxSimulatedMs`.
   */
  async drain(options: { stop?: () => boolean; maxSimulatedMs?: number; stepMs?: number } = {}): Promise<'empty' | 'stopped'> {
    const step = options.stepMs ?? 250;
    const max = options.maxSimulatedMs ?? 120_000;
    for (let elapsed = 0; elapsed <= max; ) {
      if (options.stop?.() === true) return 'stopped';
      await this.#clock.advanceBy(0);
      if (this.#running !== undefined) {
        await this.#running.catch(() => undefined);
        this.#running = undefined;
        continue;
      }
      const s = this.#queue.stats();
      if (s.visible + s.invisible + s.inFlight === 0) return 'empty';
      await this.#clock.advanceBy(step);
      elapsed += step;
    }
    throw new Error(`queue not drained within ${max} simulated ms: ${JSON.stringify(this.#queue.stats())}`);
  }
}
