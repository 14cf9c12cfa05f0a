// Configuration → the pipeline's parts: one place that knows how each adapter is built,
// so the Lambda functions, the watcher and the local runner stay wiring.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { managedKinds, writerNamespaces, type Sc2meshConfig } from '../config/index.ts';
import { createLogger, type Logger } from '../log.ts';
import type { RegistryClient } from '../servicecenter/index.ts';
import { loadClusterAccess, createKubeClusterWriter, type ClusterAccess } from '../kube/index.ts';
import { createFolderCluster } from '../output/folder-cluster.ts';
import { createDynamoStateStore } from '../state/dynamo-store.ts';
import { startEmbeddedDynalite } from '../state/embedded-dynalite.ts';
import type { StateStore } from '../state/state-store.ts';
import { PipelineMetrics } from '../pipeline/metrics.ts';
import type { ClusterTarget, PipelineDeps, RegistrySource } from '../pipeline/contracts.ts';
import { systemClock, type Clock } from '../time/clock.ts';
import { createRegistrySource } from './registry-source.ts';
import type { SidecarSwitch } from '../pipeline/sidecars.ts';
import { createRegistryClient } from './registry-connection.ts';

export { createRegistryClient } from './registry-connection.ts';
export { createQueue, queueUrlOf } from './queue-connection.ts';

/** Table name of the embedded store (local mode keeps it in state.dir). */
export const EMBEDDED_TABLE = 'sc2mesh-state';

export interface Runtime extends PipelineDeps {
  config: Sc2meshConfig;
  client: RegistryClient;
  registry: RegistrySource;
  cluster: ClusterTarget;
  /** how the cluster is reached, for logs (never credentials) */
  clusterDescription: string;
  state: StateStore;
  metrics: PipelineMetrics;
  logger: Logger;
  /** the Sidecar step's settings (config sidecars) */
  sidecars: SidecarSwitch;
  close(): Promise<void>;
}

export async function createCluster(config: Sc2meshConfig, logger: Logger): Promise<{ cluster: ClusterTarget; description: string; access?: ClusterAccess }> {
  if (config.out !== '') return { cluster: createFolderCluster(config.out, config.render.source), description: `manifests folder ${config.out}` };
  if (config.kube.mode === 'none') throw new Error('kube.mode none: no cluster and no out folder; set --out DIR or a kube mode');
  const access = await loadClusterAccess({ mode: config.kube.mode, kubeconfig: config.kube.kubeconfig, context: config.kube.context, eks: config.kube.eks });
  const cluster = createKubeClusterWriter({
    kubeConfig: access.kubeConfig,
    namespace: config.render.namespace,
    source: config.render.source,
    kinds: managedKinds(config),
    namespacesByKind: writerNamespaces(config),
    rateLimit: config.kube.qps === 0 ? false : { qps: config.kube.qps, burst: config.kube.burst },
    timeoutMs: config.kube.timeoutMs,
    logger,
  });
  return { cluster, description: access.description, access };
}

export async function createState(config: Sc2meshConfig, logger: Logger, clock: Pick<Clock, 'now'> = systemClock): Promise<{ state: StateStore; close: () => Promise<void> }> {
  if (config.state.table !== '') {
    const client = new DynamoDBClient({
      ...(config.state.region === '' ? {} : { region: config.state.region }),
      ...(config.state.endpoint === '' ? {} : { endpoint: config.state.endpoint }),
    });
    return { state: createDynamoStateStore({ client, tableName: config.state.table, logger, clock }), close: async () => client.destroy() };
  }
  const embedded = await startEmbeddedDynalite({ tableName: EMBEDDED_TABLE, path: config.state.dir });
  return { state: createDynamoStateStore({ client: embedded.client, tableName: embedded.tableName, logger, clock }), close: () => embedded.close() };
}

export async function buildRuntime(config: Sc2meshConfig, options: { logger?: Logger; clock?: Pick<Clock, 'now'> } = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const client = await createRegistryClient(config, logger);
  const { cluster, description } = await createCluster(config, logger);
  const clock = options.clock ?? systemClock;
  const state = await createState(config, logger, clock);
  return {
    config,
    client,
    registry: createRegistrySource(client, { consumerServiceName: config.registry.watcherServiceName, logger }),
    cluster,
    clusterDescription: description,
    state: state.state,
    render: config.render,
    governance: config.governance,
    sidecars: config.sidecars,
    guard: config.guard,
    metrics: new PipelineMetrics(),
    logger,
    clock,
    async close() {
      await client.close();
      await state.close();
    },
  };
}
