// `sc2mesh status`: what the state store knows — recent runs, the open debounce cycle,
// recent errors, how many services and objects are published.
import { Command } from 'commander';
import { createState } from '../runtime/build-runtime.ts';
import { silentLogger } from '../log.ts';
import { addConfigFlags } from '../config/index.ts';
import { loadCommandConfig } from './command-config.ts';
import { formatTable } from './table.ts';
import { EXIT_OK } from './errors.ts';
import type { CommandIo } from './render-command.ts';

export function statusCommand(io: CommandIo, setExit: (code: number) => void): Command {
  const command = new Command('status').description('Recent syncs and pushes, the pending debounce cycle and recent errors, from the state store');
  addConfigFlags(command, ['state', 'log']).option('--json', 'print one JSON object').option('--runs <n>', 'how many recent runs', '10');
  command.addHelpText('after', '\nExamples:\n  sc2mesh status                         # local mode (.sc2mesh/state)\n  sc2mesh status --table sc2mesh-prod-state --state-region eu-west-1');
  return command.action(async (opts: Record<string, unknown>) => {
    const config = await loadCommandConfig(opts, io.stdout);
    if (config === undefined) return setExit(EXIT_OK);
    const runsWanted = Number(opts['runs']);
    const { state, close } = await createState(config, silentLogger);
    try {
      const [services, cycle, runs] = await Promise.all([state.listServices(), state.getCycle(), state.recentRuns(Number.isInteger(runsWanted) && runsWanted > 0 ? runsWanted : 10)]);
      const objects = services.items.reduce((n, s) => n + s.objectCount, 0);
      const lastPush = services.items.reduce((t, s) => Math.max(t, s.lastPushAt), 0);
      const summary = {
        services: services.items.length,
        objects,
        corruptItems: services.corrupt.length,
        lastPushAt: lastPush === 0 ? null : new Date(lastPush).toISOString(),
        pendingCycle: cycle.value === null ? null : { keys: cycle.value.keys.length, events: cycle.value.events, since: new Date(cycle.value.firstEventAt).toISOString() },
        runs: runs.map((r) => ({ kind: r.kind, at: new Date(r.startedAt).toISOString(), outcome: r.outcome, ms: r.finishedAt - r.startedAt, counts: r.counts, ...(r.message === undefined ? {} : { message: r.message }) })),
      };
      if (opts['json'] === true) {
        io.stdout.write(`${JSON.stringify(summary)}\n`);
        return setExit(EXIT_OK);
      }
      io.stdout.write(`${summary.services} services, ${objects} objects published; last push ${summary.lastPushAt ?? 'never'}\n`);
      io.stdout.write(summary.pendingCycle === null ? 'no debounce cycle open\n' : `debounce cycle open: ${summary.pendingCycle.keys} services, ${summary.pendingCycle.events} events since ${summary.pendingCycle.since}\n`);
      if (summary.corruptItems > 0) io.stdout.write(`${summary.corruptItems} corrupt state items (see logs)\n`);
      if (runs.length > 0) {
        io.stdout.write(`\n${formatTable(['run', 'started', 'outcome', 'ms', 'counts'], summary.runs.map((r) => [r.kind, r.at, r.outcome, r.ms, Object.entries(r.counts).filter(([, v]) => v !== 0).map(([k, v]) => `${k}=${v}`).join(' ')] as const))}\n`);
        const errors = summary.runs.filter((r) => r.outcome !== 'ok');
        for (const r of errors) io.stdout.write(`${r.at} ${r.kind} ${r.outcome}: ${r.message ?? ''}\n`);
      } else io.stdout.write('no runs recorded (quiet minutes record nothing)\n');
      setExit(EXIT_OK);
    } finally {
      await close();
    }
  });
}
