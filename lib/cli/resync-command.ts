// `sc2mesh resync` (full reconcile from this machine) and `sc2mesh diff` (the same, dry).
import { Command } from 'commander';
import { newCorrelationId } from '../log.ts';
import { buildRuntime } from '../runtime/build-runtime.ts';
import { runResync, type ResyncResult } from '../pipeline/resync.ts';
import { addOperateFlags, loadCommandConfig } from './command-config.ts';
import { EXIT_FAILURE, EXIT_OK } from './errors.ts';
import type { CommandIo } from './render-command.ts';

/** kubectl diff's convention: 0 no differences, 1 differences found. */
const EXIT_DIFFERENT = 1;

function printResult(result: ResyncResult, io: CommandIo): void {
  if (result.dryRun) {
    for (const key of result.wouldApply ?? []) io.stdout.write(`~ apply  ${key}\n`);
    for (const key of result.wouldDelete ?? []) io.stdout.write(`- delete ${key}\n`);
  }
  io.stdout.write(
    `${result.dryRun ? 'would write' : 'wrote'} ${result.applied} objects (${result.missing} missing, ${result.edited} changed), ${result.dryRun ? 'would delete' : 'deleted'} ${result.deleted}; checked ${result.checked}; conflicts ${result.conflicts}, failures ${result.failed}; ${result.outcome}${result.message === undefined ? '' : `: ${result.message}`}\n`,
  );
}

function reconcileCommand(name: 'resync' | 'diff', io: CommandIo, setExit: (code: number) => void): Command {
  const command = new Command(name).description(
    name === 'diff'
      ? 'Show what a resync would change in the cluster (exit 1 when it would change anything)'
      : 'Reconcile everything against what the cluster actually holds: restore deleted or edited objects, delete owned strays',
  );
  addOperateFlags(command, ['registry', 'kube', 'out', 'state', 'guard', 'log']);
  if (name === 'resync') command.option('--dry-run', 'report, write nothing (same as sc2mesh diff)');
  command.addHelpText('after', `\nExamples:\n  sc2mesh ${name} --registry http://sc:30100 --kubeconfig ~/.kube/config --namespace mesh${name === 'resync' ? '\n  sc2mesh resync --force      # past the mass-deletion guard' : ''}`);
  return command.action(async (opts: Record<string, unknown>) => {
    const config = await loadCommandConfig(opts, io.stdout);
    if (config === undefined) return setExit(EXIT_OK);
    const runtime = await buildRuntime(config);
    try {
      const dryRun = name === 'diff' || opts['dryRun'] === true;
      const result = await runResync(runtime, newCorrelationId(), { dryRun, force: config.guard.force });
      printResult(result, io);
      if (result.outcome === 'registry-unavailable' || result.failed > 0) return setExit(EXIT_FAILURE);
      if (name === 'diff') return setExit(result.applied + result.deleted > 0 ? EXIT_DIFFERENT : EXIT_OK);
      setExit(result.outcome === 'ok' ? EXIT_OK : EXIT_FAILURE);
    } finally {
      await runtime.close();
    }
  });
}

export const resyncCommand = (io: CommandIo, setExit: (code: number) => void): Command => reconcileCommand('resync', io, setExit);
export const diffCommand = (io: CommandIo, setExit: (code: number) => void): Command => reconcileCommand('diff', io, setExit);
