// JSON.parse then validation of a govern dump, each timed: how every render bench starts a run.
import { performance } from 'node:perf_hooks';
import { parseGovernDump, type GovernDump } from '../lib/model/govern-dump.ts';

/** Started with --expose-gc: each run then begins on a clean heap instead of paying for the run before it. */
export const collectGarbage = (globalThis as { gc?: () => void }).gc ?? ((): void => {});

export function timedParse(text: string): { dump: GovernDump; parseMs: number; validateMs: number } {
  collectGarbage();
  const t0 = performance.now();
  const raw = JSON.parse(text) as unknown;
  const t1 = performance.now();
  const dump = parseGovernDump(raw);
  return { dump, parseMs: t1 - t0, validateMs: performance.now() - t1 };
}
