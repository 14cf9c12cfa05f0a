// `sc2mesh run` for the scale bench: startLocalRunner with the configuration the parent
// put in the environment (SC2MESH_*), in a process of its own so its RSS is the runner's.
import { loadConfig } from '../../lib/config/index.ts';
import { startLocalRunner, type LocalRunner, type RunnerEvent } from '../../lib/runtime/local-runner.ts';
import { epochMs, memoryFigures, serveRpc } from './rpc.ts';

interface PushRecord {
  at: number;
  latencyMs: number;
  keys: number;
  applied: number;
  deleted: number;
  failed: number;
  phasesMs: Record<string, number>;
}

const pushes: PushRecord[] = [];
let errors = 0;
let lastError = '';
let syncs = 0;
let runner: LocalRunner | undefined;

const onEvent = (event: RunnerEvent): void => {
  if (event.type === 'push') {
    if (pushes.length < 10_000) {
      pushes.push({ at: epochMs(), latencyMs: event.latencyMs, keys: event.batch.keys.length, applied: event.report.applied, deleted: event.report.deleted, failed: event.report.failedKeys.length, phasesMs: event.report.phasesMs });
    }
  } else if (event.type === 'sync') {
    syncs++;
  } else {
    errors++;
    lastError = `${event.where}: ${event.error instanceof Error ? event.error.message : String(event.error)}`;
  }
};

serveRpc({
  async start(raw) {
    const args = raw as { watch: boolean; periodicSync: boolean };
    const config = await loadConfig({ env: process.env });
    const started = epochMs();
    runner = await startLocalRunner(config, { onEvent, watch: args.watch, periodicSync: args.periodicSync });
    return { startedAt: started, readyAt: epochMs() };
  },
  /** pushes the open cycle now and waits for every push in flight */
  async flush() {
    await runner?.flush();
    return epochMs();
  },
  /** push records from index `from` on, and counters */
  stats(raw) {
    const from = (raw as { from?: number }).from ?? 0;
    return { pushes: pushes.slice(from), pushCount: pushes.length, syncs, errors, lastError };
  },
  memory: () => memoryFigures(),
  async stop() {
    await runner?.stop();
    setImmediate(() => process.exit(0));
    return true;
  },
});
