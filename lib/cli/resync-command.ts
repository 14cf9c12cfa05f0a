// `sc2mesh resync` (full reconcile from this machine) and `sc2mesh diff` (the same, dry).
// When `sc2mesh run` holds the embedded state folder (LevelDB: one process at a time),
// both are run by that runner on its ops server and printed here the same way.
import { Command } from 'commander';
import { createLogger, newCorrelationId } from '../log.ts';
import { configOrigin, type Sc2meshConfig } from '../config/index.ts';
import { buildRuntime } from '../runtime/build-runtime.ts';
import { runResync, type ResyncResult } from '../pipeline/resync.ts';
import { createContentReader } from '../server/live-content.ts';
import { callRunner } from '../server/ops-api.ts';
import { readStateHolder, stateExists, StateInUseError } from '../state/embedded-dynalite.ts';
import { addOperateFlags, loadCommandConfig } from './command-config.ts';
import { CliError, collapseRepeats, EXIT_CANNOT_RUN, EXIT_FAILURE, EXIT_OK, oneLine } from './errors.ts';
import type { CommandIo } from './render-command.ts';

/** kubectl diff's convention: 0 no differences, 1 differences found, 2 could not tell. */
const EXIT_DIFFERENT = 1;

export const RECONCILE_EXIT_HELP = {
  diff: `Exit codes (as kubectl diff): 0 the cluster holds what the registry renders; 1 it
differs (objects to write or delete, or a same-named object sc2mesh does not own: a
conflict, which resync leaves alone, so diff stays 1 until it is removed); 2 nothing could
be computed (registry or cluster unreadable, bad flag or configuration).`,
  resync: `Exit codes: 0 everything reconciled; 1 it ran but not everything was done (conflicts,
failed writes, deletions refused by the guard: see --force); 2 nothing could be done
(registry or cluster unreadable, bad flag or configuration).`,
};

function printResult(result: ResyncResult, io: CommandIo): void {
  if (result.dryRun) {
    for (const key of result.wouldApply ?? []) io.stdout.write(`~ apply    ${key}\n`);
    for (const key of result.wouldDelete ?? []) io.stdout.write(`- delete   ${key}\n`);
  }
  for (const c of result.conflictDetails ?? []) io.stdout.write(`! conflict ${c.key}: ${c.reason}\n`);
  for (const s of result.skipped ?? []) io.stderr.write(`skipped ${s.serviceKey}: ${s.reason}\n`);
  io.stdout.write(
    `${result.dryRun ? 'would write' : 'wrote'} ${result.applied} objects (${result.missing} missing, ${result.edited} changed), ${result.dryRun ? 'would delete' : 'deleted'} ${result.deleted}; checked ${result.checked}; conflicts ${result.conflicts}, failures ${result.failed}; ${result.outcome}${result.message === undefined ? '' : `: ${collapseRepeats(result.message)}`}\n`,
  );
}

function exitCodeOf(name: 'resync' | 'diff', result: ResyncResult): number {
  if (result.outcome === 'registry-unavailable' || result.outcome === 'cluster-unavailable') return EXIT_CANNOT_RUN;
  if (name === 'diff') {
    if (result.failed > 0) return EXIT_CANNOT_RUN;
    return result.applied + result.deleted + result.conflicts > 0 || result.outcome !== 'ok' ? EXIT_DIFFERENT : EXIT_OK;
  }
  return result.outcome === 'ok' ? EXIT_OK : EXIT_FAILURE;
}

/** The one line for an answer that computed nothing, naming where it looked. */
function cannotRunLine(config: Sc2meshConfig, result: ResyncResult): string {
  const cause = collapseRepeats(result.message ?? result.outcome).replace(/^(registry unavailable|cluster unreadable): /, '');
  if (result.outcome === 'registry-unavailable') return `registry ${config.registry.addresses.join(', ')} unreadable: ${cause}`;
  const where = config.out !== '' ? `manifests folder ${config.out}` : `cluster (namespace ${config.render.namespace}, kube.mode ${config.kube.mode})`;
  return `${where} unreadable: ${cause}`;
}

/**
 * The one-shot commands print their own outcome; their JSON log would only repeat it, so
 * it is off (fatal only) unless a level was asked for (--log-level info shows it).
 */
function oneShotLogLevel(config: Sc2meshConfig): Sc2meshConfig['log']['level'] {
  return configOrigin(config, 'log.level')?.source === 'default' ? 'fatal' : config.log.level;
}

async function viaRunner(name: 'resync' | 'diff', config: Sc2meshConfig, dryRun: boolean, io: CommandIo): Promise<ResyncResult | undefined> {
  if (config.state.table !== '') return undefined;
  const holder = await readStateHolder(config.state.dir);
  if (holder === undefined) return undefined;
  if (holder.opsUrl === undefined || holder.token === undefined) {
    throw new CliError(`state folder ${config.state.dir} is in use by ${holder.command} (pid ${holder.pid}), which serves no ops API (server.port 0); stop it, or restart it with --server-port <port> so ${name} can run through it`, EXIT_CANNOT_RUN);
  }
  io.stderr.write(`sc2mesh: state folder ${config.state.dir} is held by ${holder.command} (pid ${holder.pid}); ${name} runs there, with its configuration (${holder.opsUrl})\n`);
  const force = config.guard.force;
  try {
    return (await callRunner(holder, name === 'diff' ? 'GET' : 'POST', name === 'diff' ? `/v1/diff?force=${force}` : `/v1/resync?force=${force}&dryRun=${dryRun}`)) as ResyncResult;
  } catch (error) {
    throw new CliError(`state folder ${config.state.dir} is in use by ${holder.command} (pid ${holder.pid}), and its ops API failed: ${oneLine(error)}`, EXIT_CANNOT_RUN);
  }
}

async function runHere(config: Sc2meshConfig, dryRun: boolean): Promise<ResyncResult> {
  // A diff writes no state: with no state folder yet it needs none, and makes none.
  const effective = dryRun && config.state.table === '' && !stateExists(config.state.dir) ? { ...config, state: { ...config.state, dir: '' } } : config;
  let runtime;
  try {
    runtime = await buildRuntime(effective, { logger: createLogger({ level: oneShotLogLevel(config) }) });
  } catch (error) {
    if (error instanceof StateInUseError) throw new CliError(error.message, EXIT_CANNOT_RUN);
    throw new CliError(oneLine(error), EXIT_CANNOT_RUN);
  }
  try {
    const content = await createContentReader(config);
    return await runResync({ ...runtime, ...(content === undefined ? {} : { content }) }, newCorrelationId(), { dryRun, force: config.guard.force });
  } finally {
    await runtime.close();
  }
}

function reconcileCommand(name: 'resync' | 'diff', io: CommandIo, setExit: (code: number) => void): Command {
  const command = new Command(name).description(
    name === 'diff'
      ? 'Show what a resync would change in the cluster (exit 0 none, 1 differences, 2 could not tell)'
      : 'Reconcile everything against what the cluster actually holds: restore deleted or edited objects, delete owned strays',
  );
  addOperateFlags(command, ['registry', 'kube', 'out', 'state', 'guard', 'governance', 'sidecars', 'log']);
  if (name === 'resync') command.option('--dry-run', 'report, write nothing (same as sc2mesh diff)');
  command.addHelpText(
    'after',
    `\n${RECONCILE_EXIT_HELP[name]}\n\nWhile sc2mesh run holds the state folder, the ${name} runs inside it (through its ops server).\n\nExamples:\n  sc2mesh ${name} --registry http://sc:30100 --kubeconfig ~/.kube/config --namespace mesh${name === 'resync' ? '\n  sc2mesh resync --force      # past the mass-deletion guard' : ''}`,
  );
  return command.action(async (opts: Record<string, unknown>) => {
    let config: Sc2meshConfig | undefined;
    try {
      config = await loadCommandConfig(opts, io.stdout);
    } catch (error) {
      if (error instanceof CliError) throw new CliError(error.message, EXIT_CANNOT_RUN);
      throw error;
    }
    if (config === undefined) return setExit(EXIT_OK);
    const dryRun = name === 'diff' || opts['dryRun'] === true;
    const result = (await viaRunner(name, config, dryRun, io)) ?? (await runHere(config, dryRun));
    const code = exitCodeOf(name, result);
    if (code === EXIT_CANNOT_RUN && (result.outcome === 'registry-unavailable' || result.outcome === 'cluster-unavailable')) throw new CliError(cannotRunLine(config, result), EXIT_CANNOT_RUN);
    printResult(result, io);
    setExit(code);
  });
}

export const resyncCommand = (io: CommandIo, setExit: (code: number) => void): Command => reconcileCommand('resync', io, setExit);
export const diffCommand = (io: CommandIo, setExit: (code: number) => void): Command => reconcileCommand('diff', io, setExit);
