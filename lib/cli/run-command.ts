// `sc2mesh run`: the pipeline in one process against a registry and a cluster (or --out DIR).
import { Command } from 'commander';
import { startLocalRunner, type RunnerEvent } from '../runtime/local-runner.ts';
import { addOperateFlags, loadCommandConfig } from './command-config.ts';
import { EXIT_OK } from './errors.ts';
import type { CommandIo } from './render-command.ts';

function describeEvent(event: RunnerEvent): string | undefined {
  if (event.type === 'push') {
    const r = event.report;
    return `push: ${event.batch.keys.length} services (${event.batch.reason}), ${r.applied} written, ${r.deleted} deleted, ${r.unchanged} unchanged, ${event.latencyMs} ms after the first event`;
  }
  if (event.type === 'sync') {
    const s = event.report.sync;
    const a = event.report.audit;
    if (s.outcome === 'ok' && s.dirty.length + s.removed.length === 0 && (a === undefined || a.applied + a.deleted === 0)) return undefined;
    return `sync: ${s.outcome}, ${s.services} services, ${s.dirty.length} changed, ${s.removed.length} removed, ${s.skipped.length} skipped${a === undefined ? '' : `; audit repaired ${a.applied}, deleted ${a.deleted}`}${s.message === undefined ? '' : ` (${s.message})`}`;
  }
  return `error in ${event.where}: ${event.error instanceof Error ? event.error.message : String(event.error)}`;
}

export function runCommand(io: CommandIo, setExit: (code: number) => void): Command {
  const command = new Command('run').description('Run the whole pipeline in this process: watch, debounce, push, periodic sync and drift audit');
  addOperateFlags(command).option('--once', 'one sync and push, then exit (no watch, no timer)');
  command.addHelpText(
    'after',
    `
Examples:
  sc2mesh run --registry http://sc.internal:30100 --kubeconfig ~/.kube/config --namespace mesh
  sc2mesh run --registry http://127.0.0.1:30100 --out ./manifests --once
  SC2MESH_REGISTRY_ADDRESSES=https://sc:30100 SC2MESH_KUBE_MODE=in-cluster sc2mesh run`,
  );
  return command.action(async (opts: Record<string, unknown>) => {
    const config = await loadCommandConfig(opts, io.stdout);
    if (config === undefined) return setExit(EXIT_OK);
    const once = opts['once'] === true;
    const runner = await startLocalRunner(config, {
      watch: !once,
      periodicSync: !once,
      onEvent: (e) => {
        const line = describeEvent(e);
        if (line !== undefined) io.stderr.write(`${new Date().toISOString()} ${line}\n`);
      },
    });
    io.stderr.write(`sc2mesh: running against ${config.registry.addresses.join(', ')} → ${runner.runtime.clusterDescription}${runner.opsUrl === undefined ? '' : `; health and metrics on ${runner.opsUrl}`}\n`);
    if (once) {
      await runner.flush();
      await runner.stop();
      return setExit(EXIT_OK);
    }
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        io.stderr.write('sc2mesh: stopping (pushing what is pending)…\n');
        void runner.stop().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    setExit(EXIT_OK);
  });
}
