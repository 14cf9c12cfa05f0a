// The watcher container for the scale bench: startWatcher (what watcher/main.ts runs)
// with the SC2MESH_* configuration the parent set, sending to the SQS endpoint it names.
import { loadConfig } from '../../lib/config/index.ts';
import { startWatcher, type Watcher } from '../../lib/runtime/watcher-service.ts';
import { epochMs, memoryFigures, serveRpc } from './rpc.ts';

let watcher: Watcher | undefined;

serveRpc({
  async start() {
    const config = await loadConfig({ env: process.env });
    const started = epochMs();
    watcher = await startWatcher(config);
    return { startedAt: started, readyAt: epochMs(), health: watcher.health() };
  },
  stats: () => ({ pendingKeys: watcher?.pendingKeys() ?? 0, counters: watcher?.watch.counters() }),
  memory: () => memoryFigures(),
  async stop() {
    const result = await watcher?.stop();
    setImmediate(() => process.exit(0));
    return result ?? { unsent: 0 };
  },
});
