// One step of the debounce machine against the stored cycle, for the serverless host:
// read the cycle, compute the step, write it back only if it changed, conditional on the
// version read. When two push invocations race, exactly one write wins; the loser
// re-reads and recomputes, so a cycle is pushed by one invocation only and no key is
// lost. A step that changes nothing (an early tick) writes nothing.
import type { Cycle, Decision, Step } from '../debounce/cycle.ts';
import { DEFAULT_CYCLE_NAME, PARTITION } from './table.ts';
import { StaleStateError, type StateStore } from './state-store.ts';

export interface CycleStepResult {
  decision: Decision;
  state: Cycle;
  /** whether the cycle item was written */
  written: boolean;
  attempts: number;
}

export function sameCycle(a: Cycle, b: Cycle): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.firstEventAt === b.firstEventAt &&
    a.lastEventAt === b.lastEventAt &&
    a.events === b.events &&
    a.keys.length === b.keys.length &&
    a.keys.every((k, i) => k === b.keys[i])
  );
}

export async function runCycleStep(
  store: Pick<StateStore, 'getCycle' | 'casCycle'>,
  step: (state: Cycle) => Step,
  options: { name?: string; maxAttempts?: number } = {},
): Promise<CycleStepResult> {
  const maxAttempts = options.maxAttempts ?? 10;
  let lastVersion = 0;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const current = await store.getCycle(options.name);
    lastVersion = current.version;
    const next = step(current.value);
    if (sameCycle(next.state, current.value)) return { decision: next.decision, state: next.state, written: false, attempts: attempt };
    if (await store.casCycle(next.state, current.version, options.name)) {
      return { decision: next.decision, state: next.state, written: true, attempts: attempt };
    }
  }
  throw new StaleStateError(`${PARTITION.cycle}/${options.name ?? DEFAULT_CYCLE_NAME}`, lastVersion);
}
