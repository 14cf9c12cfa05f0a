// One debounce cycle's push, as both hosts run it (the local runner's debouncer and the
// serverless push function): the push itself, the latency metric, one summary log line and
// the run record `status` shows. A registry that cannot be read fails every key (the host
// retries them), never deletes anything.
import { RegistryReadError } from './contracts.ts';
import { emptyPushReport, pushServices, type PushDeps, type PushOptions, type PushReport } from './push.ts';
import type { RunOutcome } from '../state/state-store.ts';

const MESSAGE_MAX = 2000;
/** one service's line: a Kubernetes error body can be long, and the next service matters too */
const LINE_MAX = 400;
/** room for the closing "… and N more" */
const TAIL_ROOM = 24;

function outcomeOf(report: PushReport, failedWhole: boolean): RunOutcome {
  if (failedWhole) return 'error';
  if (report.failedKeys.length > 0 || report.notStarted.length > 0) return 'partial';
  if (report.refusedDeletes > 0) return 'refused';
  return 'ok';
}

/**
 * What an operator reads in `status`: every service that did not simply converge, one
 * `<outcome> <serviceKey>: <reason>` line each (lib/server/ops-api.ts reads them back as
 * structured failures). A push interrupted as a whole fails each of its keys for one reason.
 */
function messageOf(report: PushReport, failure: string | undefined): string | undefined {
  const lines: string[] = [];
  if (failure !== undefined) for (const key of report.failedKeys) lines.push(`failed ${key}: ${failure}`);
  for (const r of report.results) {
    if (r.outcome === 'failed' || r.outcome === 'skipped' || r.outcome === 'conflict' || r.outcome === 'refused') lines.push(`${r.outcome} ${r.serviceKey}: ${r.reason ?? ''}`);
  }
  if (report.notStarted.length > 0) lines.push(`${report.notStarted.length} services not started before the time budget ran out; re-queued`);
  if (lines.length === 0) return undefined;
  // Whole lines only, so every line kept still names its service and reason.
  const kept: string[] = [];
  let length = 0;
  for (const [i, whole] of lines.entries()) {
    const line = whole.length <= LINE_MAX ? whole : `${whole.slice(0, LINE_MAX - 1)}…`;
    if (length + line.length > MESSAGE_MAX - TAIL_ROOM) {
      kept.push(`… and ${lines.length - i} more`);
      break;
    }
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join('\n');
}

export async function pushCycle(keys: readonly string[], deps: PushDeps, correlationId: string, firstEventAt: number, options: PushOptions = {}): Promise<PushReport> {
  const startedAt = deps.clock.now();
  let report: PushReport;
  let failure: string | undefined;
  try {
    report = await pushServices(keys, deps, correlationId, options);
  } catch (error) {
    report = emptyPushReport();
    report.failedKeys = [...new Set(keys)].sort();
    if (error instanceof RegistryReadError) deps.metrics.add('registry_unavailable');
    failure = `push interrupted: ${(error as Error).message}`;
    deps.logger.error({ correlationId, err: error, keys: report.failedKeys.length }, `${failure}; every key is retried, nothing was deleted`);
  }
  const finishedAt = deps.clock.now();
  deps.metrics.observeLatency(finishedAt - firstEventAt);
  const count = (outcome: string): number => report.results.filter((r) => r.outcome === outcome).length;
  const counts = {
    services: new Set(keys).size,
    applied: report.applied,
    deleted: report.deleted,
    unchanged: report.unchanged,
    failed: report.failedKeys.length,
    skipped: count('skipped'),
    conflicts: count('conflict'),
    refusedDeletes: report.refusedDeletes,
    notStarted: report.notStarted.length,
  };
  deps.logger.info({ correlationId, run: 'push', ...counts, latencyMs: finishedAt - firstEventAt, phasesMs: report.phasesMs }, 'push done');
  const message = messageOf(report, failure);
  try {
    await deps.state.recordRun({ id: correlationId, kind: 'push', startedAt, finishedAt, outcome: outcomeOf(report, failure !== undefined), counts, ...(message === undefined ? {} : { message }) });
  } catch (error) {
    // The push itself is done; a lost run record only costs a line in `status`.
    deps.logger.warn({ correlationId, err: error }, 'push run not recorded');
  }
  return report;
}
