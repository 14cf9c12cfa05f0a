// The pipeline on its real parts, for the pipeline and debounce benchmarks: state on an
// in-process dynalite, the KubeClusterWriter against the validating test API server over
// HTTP, any RegistrySource, and a queue that only records what the sync marked dirty.
import type { RegistrySource } from '../lib/pipeline/contracts.ts';
import type { PushDeps, PushReport } from '../lib/pipeline/push.ts';
import { pushServices } from '../lib/pipeline/push.ts';
import { syncOnce, type SyncDeps, type SyncReport } from '../lib/pipeline/sync.ts';
import { PipelineMetrics } from '../lib/pipeline/metrics.ts';
import { DEFAULT_DELETION_GUARD } from '../lib/plan/deletion-guard.ts';
import { resolveRenderOptions, type RenderOptionsInput } from '../lib/render/options.ts';
import { silentLogger } from '../lib/log.ts';
import { systemClock } from '../lib/time/clock.ts';
import { createKubeClusterWriter, type KubeClusterWriter, type RateLimitSettings } from '../lib/kube/index.ts';
import { createDynamoStateStore } from '../lib/state/dynamo-store.ts';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../lib/state/embedded-dynalite.ts';
import type { StateStore } from '../lib/state/state-store.ts';
import { startKubeApiServer, type KubeApiServer } from '../test/support/kube-api-server/index.ts';
import { RecordingQueue } from '../test/support/pipeline-harness.ts';

export interface PipelineRigOptions {
  registry: RegistrySource;
  render?: RenderOptionsInput;
  /** the writer's client-side rate limit; default off, so the figures measure the pipeline, not the bucket */
  rateLimit?: RateLimitSettings | false;
  concurrency?: number;
  /** no Kubernetes API server: the rig only syncs (state and registry) */
  withoutCluster?: boolean;
}

export interface PipelineRig {
  deps: PushDeps & SyncDeps;
  queue: RecordingQueue;
  state: StateStore;
  /** absent with `withoutCluster` */
  server?: KubeApiServer;
  writer?: KubeClusterWriter;
  /** one sync, then a push of whatever it marked dirty or removed */
  syncAndPush(correlationId: string): Promise<{ sync: SyncReport; push: PushReport }>;
  close(): Promise<void>;
}

export async function startPipelineRig(options: PipelineRigOptions): Promise<PipelineRig> {
  const render = resolveRenderOptions({ namespace: 'bench', source: 'bench', ...options.render });
  const dynalite: EmbeddedDynalite = await startEmbeddedDynalite({ tableName: 'sc2mesh-bench' });
  let server: KubeApiServer | undefined;
  try {
    const state = createDynamoStateStore({ client: dynalite.client, tableName: dynalite.tableName, logger: silentLogger });
    let writer: KubeClusterWriter | undefined;
    if (options.withoutCluster !== true) {
      server = await startKubeApiServer({ namespace: render.namespace });
      writer = createKubeClusterWriter({
        kubeConfig: server.kubeConfig,
        namespace: render.namespace,
        source: render.source,
        rateLimit: options.rateLimit ?? false,
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      });
    }
    const queue = new RecordingQueue();
    const cluster = writer ?? {
      listOwned: () => Promise.reject(new Error('bench rig without a cluster')),
      apply: () => Promise.reject(new Error('bench rig without a cluster')),
      delete: () => Promise.reject(new Error('bench rig without a cluster')),
    };
    const deps: PushDeps & SyncDeps = {
      registry: options.registry,
      cluster,
      state,
      queue,
      render,
      guard: { ...DEFAULT_DELETION_GUARD },
      metrics: new PipelineMetrics(),
      logger: silentLogger,
      clock: systemClock,
    };
    const openServer = server;
    return {
      deps,
      queue,
      state,
      ...(openServer === undefined ? {} : { server: openServer }),
      ...(writer === undefined ? {} : { writer }),
      async syncAndPush(correlationId) {
        queue.clear();
        const sync = await syncOnce(deps, `${correlationId}-sync`);
        if (sync.outcome !== 'ok') throw new Error(`bench: sync ${sync.outcome}: ${sync.message ?? ''}`);
        const push = await pushServices(queue.keys(), deps, `${correlationId}-push`);
        queue.clear();
        if (push.failedKeys.length > 0) throw new Error(`bench: push failed for ${push.failedKeys.length} services (${push.results.find((r) => r.outcome === 'failed')?.reason ?? ''})`);
        return { sync, push };
      },
      async close() {
        await openServer?.close();
        await dynalite.close();
      },
    };
  } catch (error) {
    await server?.close().catch(() => {});
    await dynalite.close().catch(() => {});
    throw error;
  }
}
