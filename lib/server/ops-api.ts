// The operator commands (`status`, `diff`, `resync`) as operations over the pipeline's
// parts, so the CLI runs them itself or, when `sc2mesh run` holds the embedded state
// folder, asks the runner to run them on its ops server; both give the same answers.
import { request } from 'node:http';
import type { Cycle } from '../debounce/cycle.ts';
import type { StateStore } from '../state/state-store.ts';
import type { StateHolder } from '../state/embedded-dynalite.ts';

export interface RunSummary {
  kind: string;
  at: string;
  outcome: string;
  ms: number;
  counts: Record<string, number>;
  message?: string;
}

export interface StatusSummary {
  services: number;
  objects: number;
  corruptItems: number;
  lastPushAt: string | null;
  pendingCycle: { keys: number; events: number; since: string } | null;
  runs: RunSummary[];
  /** set when a running `sc2mesh run` answered */
  servedBy?: { pid: number; opsUrl: string };
}

/** `cycle`: the host's own open cycle when it keeps it in memory (the local runner) rather than in state. */
export async function collectStatus(state: StateStore, runs: number, cycle?: Cycle): Promise<StatusSummary> {
  const [services, stored, recent] = await Promise.all([state.listServices(), cycle === undefined ? state.getCycle().then((c) => c.value) : Promise.resolve(cycle), state.recentRuns(runs)]);
  const lastPush = services.items.reduce((t, s) => Math.max(t, s.lastPushAt), 0);
  return {
    services: services.items.length,
    objects: services.items.reduce((n, s) => n + s.objectCount, 0),
    corruptItems: services.corrupt.length,
    lastPushAt: lastPush === 0 ? null : new Date(lastPush).toISOString(),
    pendingCycle: stored === null ? null : { keys: stored.keys.length, events: stored.events, since: new Date(stored.firstEventAt).toISOString() },
    runs: recent.map((r) => ({ kind: r.kind, at: new Date(r.startedAt).toISOString(), outcome: r.outcome, ms: r.finishedAt - r.startedAt, counts: r.counts, ...(r.message === undefined ? {} : { message: r.message }) })),
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
