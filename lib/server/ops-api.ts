// The operator commands (`status`, `diff`, `resync`) as operations over the pipeline's
// parts, so the CLI runs them itself or, when `sc2mesh run` holds the embedded state
// folder, asks the runner to run them on its ops server; both give the same answers.
import { request } from 'node:http';
import type { Cycle } from '../debounce/cycle.ts';
import type { StateStore } from '../state/state-store.ts';
import type { StateHolder } from '../state/embedded-dynalite.ts';

/** A service a push did not converge, and why (read back from the push run's message). */
export interface ServiceFailure {
  serviceKey: string;
  outcome: 'failed' | 'skipped' | 'conflict' | 'refused';
  reason: string;
}

export interface RunSummary {
  kind: string;
  at: string;
  outcome: string;
  ms: number;
  counts: Record<string, number>;
  message?: string;
  /** push runs: each service that failed, was skipped, met a conflict or had deletions refused */
  failures?: ServiceFailure[];
}

export interface PushFailure extends ServiceFailure {
  /** when the push started */
  at: string;
}

export interface StatusSummary {
  services: number;
  objects: number;
  corruptItems: number;
  lastPushAt: string | null;
  pendingCycle: { keys: number; events: number; since: string } | null;
  runs: RunSummary[];
  /**
   * Newest first, from the last PUSH_FAILURE_WINDOW runs whatever --runs says: every push
   * records a run, so a busy minute would push a failure out of a short run list.
   */
  pushFailures: PushFailure[];
  /** set when a running `sc2mesh run` answered */
  servedBy?: { pid: number; opsUrl: string };
  /** from the running `sc2mesh run`'s last sync, with governance on: rules mapped for no service (refused ones included) */
  governance?: { rulesNotMapped: number };
}

export const PUSH_FAILURE_WINDOW = 100;
export const PUSH_FAILURES_SHOWN = 50;

// The line lib/pipeline/push-cycle.ts writes per service: `<outcome> <serviceKey>: <reason>`.
// Valid service keys hold no spaces, so the first ': ' ends the key; a line that does not
// match (a key from bad registry data) stays in the run's message, which status prints.
const FAILURE_LINE = /^(failed|skipped|conflict|refused) (\S+): (.*)$/;

export function failuresOf(message: string | undefined): ServiceFailure[] {
  const failures: ServiceFailure[] = [];
  for (const line of (message ?? '').split('\n')) {
    const m = FAILURE_LINE.exec(line);
    if (m !== null) failures.push({ outcome: m[1] as ServiceFailure['outcome'], serviceKey: m[2] ?? '', reason: m[3] ?? '' });
  }
  return failures;
}

/** `cycle`: the host's own open cycle when it keeps it in memory (the local runner) rather than in state. */
export async function collectStatus(state: StateStore, runs: number, cycle?: Cycle): Promise<StatusSummary> {
  const [services, stored, window] = await Promise.all([
    state.listServices(),
    cycle === undefined ? state.getCycle().then((c) => c.value) : Promise.resolve(cycle),
    state.recentRuns(Math.max(runs, PUSH_FAILURE_WINDOW)),
  ]);
  const lastPush = services.items.reduce((t, s) => Math.max(t, s.lastPushAt), 0);
  const summaries = window.map((r): RunSummary => {
    const failures = r.kind === 'push' ? failuresOf(r.message) : [];
    return {
      kind: r.kind,
      at: new Date(r.startedAt).toISOString(),
      outcome: r.outcome,
      ms: r.finishedAt - r.startedAt,
      counts: r.counts,
      ...(r.message === undefined ? {} : { message: r.message }),
      ...(failures.length === 0 ? {} : { failures }),
    };
  });
  return {
    services: services.items.length,
    objects: services.items.reduce((n, s) => n + s.objectCount, 0),
    corruptItems: services.corrupt.length,
    lastPushAt: lastPush === 0 ? null : new Date(lastPush).toISOString(),
    pendingCycle: stored === null ? null : { keys: stored.keys.length, events: stored.events, since: new Date(stored.firstEventAt).toISOString() },
    runs: summaries.slice(0, runs),
    pushFailures: summaries.flatMap((r) => (r.failures ?? []).map((f) => ({ at: r.at, ...f }))).slice(0, PUSH_FAILURES_SHOWN),
  };
}

export class RunnerCallError extends Error {
  override readonly name = 'RunnerCallError';
}

/**
 * One call to a running runner's ops API. No timeout: a resync of a large registry takes
 * as long as it takes, and the runner answers when it is done.
 */
export function callRunner(holder: StateHolder, method: 'GET' | 'POST', path: string): Promise<unknown> {
  const base = holder.opsUrl;
  if (base === undefined || holder.token === undefined) return Promise.reject(new RunnerCallError(`pid ${holder.pid} serves no ops API`));
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { authorization: `Bearer ${holder.token}`, accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body) as unknown;
        } catch {
          return reject(new RunnerCallError(`${url.origin} answered ${res.statusCode} with no JSON`));
        }
        if (res.statusCode !== 200) {
          const message = (parsed as { error?: unknown }).error;
          return reject(new RunnerCallError(`${url.origin}${url.pathname} answered ${res.statusCode}: ${typeof message === 'string' ? message : body}`));
        }
        resolve(parsed);
      });
      res.on('error', reject);
    });
    req.on('error', (error: NodeJS.ErrnoException) => reject(new RunnerCallError(`cannot reach it at ${url.origin} (${error.code ?? error.message})`)));
    req.end();
  });
}
