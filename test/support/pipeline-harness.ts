// Wires the pipeline core for tests: state on an in-process dynalite, a manifests folder
// as the cluster (or any ClusterTarget), a static registry and a recording queue.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { createDynamoStateStore } from '../../lib/state/dynamo-store.ts';
import type { StateStore } from '../../lib/state/state-store.ts';
import type { DirtyMessage } from '../../lib/queue/dirty-message.ts';
import type { SendOptions, SendReport, WorkQueue } from '../../lib/queue/work-queue.ts';
import { resolveRenderOptions, type RenderOptionsInput } from '../../lib/render/options.ts';
import { DEFAULT_DELETION_GUARD } from '../../lib/plan/deletion-guard.ts';
import { PipelineMetrics } from '../../lib/pipeline/metrics.ts';
import { silentLogger } from '../../lib/log.ts';
import { createFolderCluster } from '../../lib/output/folder-cluster.ts';
import type { ClusterTarget } from '../../lib/pipeline/contracts.ts';
import type { PushDeps } from '../../lib/pipeline/push.ts';
import { createManualClock, type ManualClock } from '../../lib/time/manual-clock.ts';
import { StaticRegistrySource } from './static-registry-source.ts';

export class RecordingQueue implements WorkQueue {
  readonly sent: { message: DirtyMessage; delaySeconds: number }[] = [];
  async send(messages: readonly DirtyMessage[], options: SendOptions = {}): Promise<SendReport> {
    for (const message of messages) this.sent.push({ message, delaySeconds: options.delaySeconds ?? 0 });
    return { messages: messages.length, requests: messages.length === 0 ? 0 : 1, retriedEntries: 0 };
  }
  keys(): string[] {
    return this.sent.flatMap((s) => s.message.keys).sort();
  }
  clear(): void {
    this.sent.length = 0;
  }
}

export interface Harness extends PushDeps {
  registry: StaticRegistrySource;
  queue: RecordingQueue;
  state: StateStore;
  folder: string;
  folderCluster: ReturnType<typeof createFolderCluster>;
  /** the raw DynamoDB side, to corrupt state on purpose */
  dynamo: EmbeddedDynalite;
  /** the harness clock, state's too: tests move it */
  clock: ManualClock;
  close(): Promise<void>;
}

export async function startHarness(options: { render?: RenderOptionsInput; cluster?: ClusterTarget } = {}): Promise<Harness> {
  const folder = await mkdtemp(join(tmpdir(), 'sc2mesh-harness-'));
  const dynalite: EmbeddedDynalite = await startEmbeddedDynalite({ tableName: 'sc2mesh-test' });
  const clock = createManualClock(1_700_000_000_000);
  const state = createDynamoStateStore({ client: dynalite.client, tableName: dynalite.tableName, logger: silentLogger, clock });
  const folderCluster = createFolderCluster(folder, options.render?.source ?? 'default');
  return {
    registry: new StaticRegistrySource(),
    cluster: options.cluster ?? folderCluster,
    folderCluster,
    state,
    queue: new RecordingQueue(),
    render: resolveRenderOptions(options.render ?? {}),
    guard: { ...DEFAULT_DELETION_GUARD },
    metrics: new PipelineMetrics(),
    logger: silentLogger,
    clock,
    folder,
    dynamo: dynalite,
    async close() {
      await dynalite.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
