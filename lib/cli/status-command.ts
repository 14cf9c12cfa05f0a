// `sc2mesh status`: what the state store knows — recent runs of every kind (sync, push,
// resync, audit), the open debounce cycle, recent errors, how many services and objects
// are published. While `sc2mesh run` holds the embedded state folder, the runner answers.
import { Command } from 'commander';
import { createState } from '../runtime/build-runtime.ts';
import { silentLogger } from '../log.ts';
import { addConfigFlags, type Sc2meshConfig } from '../config/index.ts';
import { callRunner, collectStatus, PUSH_FAILURE_WINDOW, type RunSummary, type StatusSummary } from '../server/ops-api.ts';
import { readStateHolder, stateExists, StateInUseError } from '../state/embedded-dynalite.ts';
import { loadCommandConfig } from './command-config.ts';
import { formatTable } from './table.ts';
import { CliError, EXIT_FAILURE, EXIT_OK, oneLine } from './errors.ts';
import type { CommandIo } from './render-command.ts';

async function readStatus(config: Sc2meshConfig, runs: number): Promise<StatusSummary> {
  if (config.state.table === '') {
    const holder = await readStateHolder(config.state.dir);
    if (holder !== undefined) {
      if (holder.opsUrl === undefined || holder.token === undefined) {
        throw new CliError(`state folder ${config.state.dir} is in use by ${holder.command} (pid ${holder.pid}), which serves no ops API (server.port 0); see its log, or restart it with --server-port <port>`);
      }
      try {
        const summary = (await callRunner(holder, 'GET', `/v1/status?runs=${runs}`)) as StatusSummary;
        return { ...summary, servedBy: { pid: holder.pid, opsUrl: holder.opsUrl } };
      } catch (error) {
        throw new CliError(`state folder ${config.state.dir} is in use by ${holder.command} (pid ${holder.pid}), and its ops API failed: ${oneLine(error)}`);
      }
    }
  }
  let opened;
  try {
    opened = await createState(config, silentLogger);
  } catch (error) {
    throw new CliError(error instanceof StateInUseError ? error.message : oneLine(error));
  }
  try {
    return await collectStatus(opened.state, runs);
  } finally {
    await opened.close();
  }
}

/** A run's message without the per-service lines that became its `failures`. */
function otherLines(run: RunSummary): string {
  if (run.message === undefined) return '';
  if (run.failures === undefined) return run.message;
  const parsed = new Set(run.failures.map((f) => `${f.outcome} ${f.serviceKey}: ${f.reason}`));
  return run.message
    .split('\n')
    .filter((line) => !parsed.has(line))
    .join('\n');
}

/** A run's counts worth a column: zeros say nothing. */
function countsText(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, v]) => v !== 0)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export function statusCommand(io: CommandIo, setExit: (code: number) => void): Command {
  const command = new Command('status').description(
    'Recent runs (sync, push, resync, audit) with their skips and conflicts, the services recent pushes failed and why, the pending debounce cycle and recent errors, from the state store',
  );
  addConfigFlags(command, ['state', 'log']).option('--json', 'print one JSON object').option('--runs <n>', 'how many recent runs', '10');
  command.addHelpText(
    'after',
    '\nExit codes: 0 state read; 1 no state there, or it could not be read.\nWhile sc2mesh run holds the state folder, the runner answers (through its ops server).\n\nExamples:\n  sc2mesh status                         # local mode (.sc2mesh/state)\n  sc2mesh status --table sc2mesh-prod-state --state-region eu-west-1',
  );
  return command.action(async (opts: Record<string, unknown>) => {
    const config = await loadCommandConfig(opts, io.stdout);
    if (config === undefined) return setExit(EXIT_OK);
    const runsWanted = Number(opts['runs']);
    if (!Number.isInteger(runsWanted) || runsWanted < 1) throw new CliError(`--runs ${JSON.stringify(opts['runs'])}: expected a whole number ≥ 1`);
    // Opening a folder that holds no state would create one (and report "0 services").
    if (config.state.table === '' && !stateExists(config.state.dir) && (await readStateHolder(config.state.dir)) === undefined) {
      if (opts['json'] === true) io.stdout.write(`${JSON.stringify({ state: 'none', dir: config.state.dir })}\n`);
      else io.stdout.write(`no sc2mesh state in ${config.state.dir}: sc2mesh run has not run with this state folder (set --state-dir or SC2MESH_STATE_DIR to the one it uses)\n`);
      return setExit(EXIT_FAILURE);
    }
    const summary = await readStatus(config, runsWanted);
    if (opts['json'] === true) {
      io.stdout.write(`${JSON.stringify(summary)}\n`);
      return setExit(EXIT_OK);
    }
    if (summary.servedBy !== undefined) io.stdout.write(`(from the running sc2mesh run, pid ${summary.servedBy.pid})\n`);
    io.stdout.write(`${summary.services} services, ${summary.objects} objects published; last push ${summary.lastPushAt ?? 'never'}\n`);
    io.stdout.write(summary.pendingCycle === null ? 'no debounce cycle open\n' : `debounce cycle open: ${summary.pendingCycle.keys} services, ${summary.pendingCycle.events} events since ${summary.pendingCycle.since}\n`);
    if (summary.corruptItems > 0) io.stdout.write(`${summary.corruptItems} corrupt state items (see logs)\n`);
    if (summary.governance !== undefined) io.stdout.write(`governance: ${summary.governance.rulesNotMapped} rules not mapped at the last sync (sc2mesh governance says why)\n`);
    if (summary.runs.length > 0) {
      io.stdout.write(`\n${formatTable(['run', 'started', 'outcome', 'ms', 'counts'], summary.runs.map((r) => [r.kind, r.at, r.outcome, r.ms, countsText(r.counts)] as const))}\n`);
      // Skip reasons, conflicts and errors live in the run's message: shown for every run
      // that has one, less the per-service lines the push failures table below shows.
      const told = summary.runs.map((r) => ({ run: r, text: otherLines(r) })).filter((t) => t.text !== '');
      if (told.length > 0) io.stdout.write('\n');
      for (const { run, text } of told) io.stdout.write(`${run.at} ${run.kind} ${run.outcome}: ${text.replaceAll('\n', '\n  ')}\n`);
    } else io.stdout.write('no runs recorded (quiet minutes record nothing)\n');
    if (summary.pushFailures.length > 0) {
      io.stdout.write(`\nservices recent pushes did not converge (newest first, from the last ${PUSH_FAILURE_WINDOW} runs):\n`);
      io.stdout.write(`${formatTable(['push started', 'outcome', 'service', 'reason'], summary.pushFailures.map((f) => [f.at, f.outcome, f.serviceKey, f.reason] as const))}\n`);
    }
    setExit(EXIT_OK);
  });
}
