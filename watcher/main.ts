// The watcher container's entry point: configuration from SC2MESH_* variables (and an
// optional file: --config FILE or SC2MESH_CONFIG), the watcher (lib/runtime/watcher-service.ts),
// and a graceful stop. Two replicas at once are harmless: both send the same dirty keys,
// and duplicate messages converge to the same cluster.
//
// SIGTERM / SIGINT: stop the watch, send every key still held, close /healthz, publish the
// last CloudWatch metrics line, exit 0. A second signal exits at once.
//
// CloudWatch metrics: one EMF line on stdout a minute (lib/metrics/watcher-emf.ts), which
// the awslogs driver ships to CloudWatch Logs; POWERTOOLS_METRICS_DISABLED=true turns it off.
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Sc2meshConfig } from '../lib/config/index.ts';
import { createLogger } from '../lib/log.ts';
import { startWatcher } from '../lib/runtime/watcher-service.ts';
import { startWatcherEmf, type WatcherEmf } from '../lib/metrics/watcher-emf.ts';

function fail(message: string): never {
  process.stderr.write(`sc2mesh watcher: ${message}\n`);
  process.exit(1);
}

async function readConfig(): Promise<Sc2meshConfig> {
  let configFile: string | undefined;
  try {
    configFile = parseArgs({ options: { config: { type: 'string' } }, strict: true }).values.config;
  } catch (error) {
    fail(`${(error as Error).message}; usage: watcher [--config FILE]`);
  }
  try {
    return await loadConfig({ configFile });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

async function main(): Promise<void> {
  const config = await readConfig();
  const logger = createLogger({ level: config.log.level });
  const starting = startWatcher(config, { logger });
  // Signals are handled from the start: one that comes while the watch is still being set
  // up stops it as soon as it is up (the first listing may already have queued keys).
  let stopping = false;
  let emf: WatcherEmf | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(128 + (constants.signals[signal as keyof typeof constants.signals] ?? 0));
    }
    stopping = true;
    logger.info({ signal }, 'stopping: closing the watch and sending the keys held');
    starting
      .then((watcher) => watcher.stop())
      .then(
        ({ unsent }) => {
          // After the stop, so the last line counts the events and keys of the final seconds.
          emf?.stop();
          process.exit(unsent === 0 ? 0 : 1);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'stop failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const watcher = await starting;
    if (!stopping) emf = startWatcherEmf(watcher);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    logger.fatal({ err: error }, 'watcher could not start');
    process.exit(1);
  }
}

await main();
