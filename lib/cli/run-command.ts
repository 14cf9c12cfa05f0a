// `sc2mesh run`: the pipeline in one process against a registry and a cluster (or --out DIR).
import { Command } from 'commander';
import { startLocalRunner, type RunnerEvent } from '../runtime/local-runner.ts';
import { addOperateFlags, loadCommandConfig } from './command-config.ts';
import { CliError, collapseRepeats, EXIT_FAILURE, EXIT_OK, oneLine } from './errors.ts';
import { StateInUseError } from '../state/embedded-dynalite.ts';
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
    return `sync: ${s.outcome}, ${s.services} services, ${s.dirty.length} changed, ${s.removed.length} removed, ${s.skipped.length} skipped${a === undefined ? '' : `; audit repaired ${a.applied}, deleted ${a.deleted}`}${s.message === undefined ? '' : ` (${collapseRepeats(s.message)})`}`;
  }
  return `error in ${event.where}: ${oneLine(event.error)}`;
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
    // What went wrong in this run, for the exit code of --once: a run that could not read
    // the registry, or could not push, did not do its job.
    const problems: string[] = [];
    let runner;
    try {
      runner = await startLocalRunner(config, {
        watch: !once,
        periodicSync: !once,
        onEvent: (e) => {
          if (e.type === 'error') problems.push(`${e.where} failed: ${oneLine(e.error)}`);
          if (e.type === 'sync' && e.report.sync.outcome !== 'ok') problems.push(collapseRepeats(e.report.sync.message ?? `sync ${e.report.sync.outcome}`));
          const line = describeEvent(e);
          if (line !== undefined) io.stderr.write(`${new Date().toISOString()} ${line}\n`);
        },
      });
    } catch (error) {
      throw new CliError(error instanceof StateInUseError ? error.message : oneLine(error));
    }
    io.stderr.write(`sc2mesh: running against ${config.registry.addresses.join(', ')} → ${runner.runtime.clusterDescription}${runner.opsUrl === undefined ? '' : `; health and metrics on ${runner.opsUrl}`}\n`);
    if (once) {
      await runner.flush();
      await runner.stop();
      if (problems.length > 0) {
        io.stderr.write(`sc2mesh: run --once did not complete: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more problems, above)` : ''}\n`);
        return setExit(EXIT_FAILURE);
      }
      return setExit(EXIT_OK);
    }
    const running = runner;
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        io.stderr.write('sc2mesh: stopping (pushing what is pending)…\n');
        void running.stop().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    setExit(EXIT_OK);
  });
}
