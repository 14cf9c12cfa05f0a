// The debounce rules as one pure state machine: (state, input, now, config) → (state,
// decision). No timers and no I/O live here, so the local runner can drive it with
// timers and the serverless push function with a DynamoDB item and delayed SQS
// messages, and neither host restates the rules.
//
// The rules (the reference tool's): after an event, push once no new event has come for
// `quietMs`; if events keep coming, push at the latest `maxDelayMs` after the first event
// of the cycle; push at once when a cycle holds `maxEvents` events. Every key handed in
// counts as one event (a watch event names one service; a sync names many), and a
// repeated key counts every time, as the reference tool counts ("if the number of events
// exceeds 1000 in this push cycle, push"): under a storm that pushes every ~6 s instead
// of every 10 s, which also shortens the worst delay.
import { z } from 'zod';
import { parseOrThrow } from '../model/validation.ts';
import type { DebounceConfig } from './config.ts';

/** One debounce cycle in progress. Plain JSON, so a host can store it as it is. */
export interface CycleState {
  firstEventAt: number;
  lastEventAt: number;
  /** events counted in this cycle (a repeated key counts every time) */
  events: number;
  /** dirty service keys, deduplicated and sorted */
  keys: string[];
}

/** `null` = no cycle open. */
export type Cycle = CycleState | null;

export type PushReason = 'quiet' | 'max-delay' | 'max-events' | 'flush';

export interface PushDecision {
  kind: 'push';
  keys: string[];
  reason: PushReason;
  /** events folded into this push */
  events: number;
  /** first event of the pushed cycle: `now - firstEventAt` is the push latency */
  firstEventAt: number;
  /**
   * When the events of this call started a new cycle (the old one was already due), the
   * host must tick again at this time; `null` when no cycle is left open.
   */
  nextTickAt: number | null;
}

export type Decision = PushDecision | { kind: 'wait'; untilMs: number } | { kind: 'idle' };

export interface Step {
  state: Cycle;
  decision: Decision;
}

/** When the host should call `onTick` for this state (`null`: nothing pending). */
export function nextTickAt(state: Cycle, config: DebounceConfig): number | null {
  if (state === null) return null;
  return Math.min(state.lastEventAt + config.quietMs, state.firstEventAt + config.maxDelayMs);
}

function dueReason(state: CycleState, now: number, config: DebounceConfig): PushReason | undefined {
  if (now - state.lastEventAt >= config.quietMs) return 'quiet';
  if (now - state.firstEventAt >= config.maxDelayMs) return 'max-delay';
  // Only reachable when maxEvents was lowered while a cycle was open.
  if (state.events >= config.maxEvents) return 'max-events';
  return undefined;
}

function sortedUnique(keys: readonly string[]): string[] {
  const out = [...new Set(keys)].sort();
  return out;
}

/** Merge two sorted, duplicate-free lists into one. */
function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x < y)) {
      out.push(x as string);
      i++;
    } else if (x === undefined || y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  return out;
}

function push(state: CycleState, reason: PushReason, rest: Cycle, config: DebounceConfig): Step {
  return {
    state: rest,
    decision: {
      kind: 'push',
      keys: state.keys,
      reason,
      events: state.events,
      firstEventAt: state.firstEventAt,
      nextTickAt: nextTickAt(rest, config),
    },
  };
}

function wait(state: CycleState, config: DebounceConfig): Step {
  return { state, decision: { kind: 'wait', untilMs: nextTickAt(state, config) as number } };
}

/**
 * Events (one per key) observed at `now`. An empty key list is a tick. A clock that runs
 * backwards (another host's clock) is treated as standing still, so a cycle never ends
 * before its own last event.
 */
export function onEvents(state: Cycle, keys: readonly string[], now: number, config: DebounceConfig): Step {
  if (keys.length === 0) return onTick(state, now, config);
  const t = state === null ? now : Math.max(now, state.lastEventAt);
  const incoming = sortedUnique(keys);

  // A late tick: the open cycle was due before these events came. It is pushed as it
  // stands, and the new events open the next cycle instead of being pushed early.
  if (state !== null) {
    const due = dueReason(state, t, config);
    if (due !== undefined) {
      const fresh: CycleState = { firstEventAt: t, lastEventAt: t, events: keys.length, keys: incoming };
      if (fresh.events >= config.maxEvents) {
        const both: CycleState = { ...state, events: state.events + fresh.events, keys: mergeSorted(state.keys, incoming) };
        return push(both, 'max-events', null, config);
      }
      return push(state, due, fresh, config);
    }
  }

  const next: CycleState =
    state === null
      ? { firstEventAt: t, lastEventAt: t, events: keys.length, keys: incoming }
      : { firstEventAt: state.firstEventAt, lastEventAt: t, events: state.events + keys.length, keys: mergeSorted(state.keys, incoming) };
  if (next.events >= config.maxEvents) return push(next, 'max-events', null, config);
  return wait(next, config);
}

/** Time passed: push if the open cycle is due, else say when to look again. */
export function onTick(state: Cycle, now: number, config: DebounceConfig): Step {
  if (state === null) return { state: null, decision: { kind: 'idle' } };
  const t = Math.max(now, state.lastEventAt);
  const due = dueReason(state, t, config);
  if (due !== undefined) return push(state, due, null, config);
  return wait(state, config);
}

/** Push whatever is open now (shutdown, `sc2mesh run --once`), ignoring the timers. */
export function flushCycle(state: Cycle, config: DebounceConfig): Step {
  if (state === null) return { state: null, decision: { kind: 'idle' } };
  return push(state, 'flush', null, config);
}

const timestamp = z.number().int().nonnegative();

export const CycleStateSchema = z
  .object({
    firstEventAt: timestamp,
    lastEventAt: timestamp,
    events: z.number().int().positive(),
    keys: z.array(z.string().min(1)),
  })
  .superRefine((s, ctx) => {
    if (s.lastEventAt < s.firstEventAt) {
      ctx.addIssue({ code: 'custom', path: ['lastEventAt'], message: `must not precede firstEventAt (${s.firstEventAt})` });
    }
    if (s.keys.length > s.events) {
      ctx.addIssue({ code: 'custom', path: ['keys'], message: `holds ${s.keys.length} keys for ${s.events} events` });
    }
  });

/** Validate a stored cycle (`null` = none); throws a ValidationError naming the field. */
export function parseCycleState(input: unknown, base = 'cycle'): Cycle {
  if (input === null || input === undefined) return null;
  const parsed = parseOrThrow(CycleStateSchema, input, base);
  return { ...parsed, keys: sortedUnique(parsed.keys) };
}
