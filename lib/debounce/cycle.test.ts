import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { DEFAULT_DEBOUNCE_CONFIG, resolveDebounceConfig, type DebounceConfig } from './config.ts';
import { flushCycle, nextTickAt, onEvents, onTick, parseCycleState, type Cycle, type PushDecision, type Step } from './cycle.ts';
import { createLocalDebouncer } from './local-debouncer.ts';
import { createManualClock } from '../time/manual-clock.ts';

const config = DEFAULT_DEBOUNCE_CONFIG;

describe('debounce state machine', () => {
  it('opens a cycle on the first event and asks for a tick after the quiet time', () => {
    const step = onEvents(null, ['b', 'a', 'b'], 5000, config);
    expect(step.state).toEqual({ firstEventAt: 5000, lastEventAt: 5000, events: 3, keys: ['a', 'b'] });
    expect(step.decision).toEqual({ kind: 'wait', untilMs: 6000 });
  });

  it('waits until the quiet time has passed, then pushes', () => {
    const open = onEvents(null, ['a'], 0, config).state;
    expect(onTick(open, 999, config).decision).toEqual({ kind: 'wait', untilMs: 1000 });
    const pushed = onTick(open, 1000, config);
    expect(pushed.state).toBeNull();
    expect(pushed.decision).toEqual({ kind: 'push', keys: ['a'], reason: 'quiet', events: 1, firstEventAt: 0, nextTickAt: null });
  });

  it('caps the wait at maxDelay after the first event', () => {
    let state: Cycle = null;
    for (let t = 0; t <= 9500; t += 500) state = onEvents(state, [`k${t}`], t, config).state;
    expect(nextTickAt(state, config)).toBe(10_000);
    expect(onTick(state, 10_000, config).decision).toMatchObject({ kind: 'push', reason: 'max-delay', events: 20 });
  });

  it('pushes at the maxEvents-th event', () => {
    let step: Step = { state: null, decision: { kind: 'idle' } };
    for (let i = 0; i < 999; i++) step = onEvents(step.state, [`k${i}`], 0, config);
    expect(step.decision.kind).toBe('wait');
    step = onEvents(step.state, ['k999'], 0, config);
    expect(step.decision).toMatchObject({ kind: 'push', reason: 'max-events', events: 1000 });
    expect(step.state).toBeNull();
  });

  it('counts a repeated key every time toward maxEvents (the reference rule counts events)', () => {
    let step: Step = { state: null, decision: { kind: 'idle' } };
    for (let i = 0; i < 999; i++) step = onEvents(step.state, ['same'], 0, config);
    expect(step.decision.kind).toBe('wait');
    step = onEvents(step.state, ['same'], 0, config);
    expect(step.decision).toMatchObject({ kind: 'push', reason: 'max-events', events: 1000, keys: ['same'] });
  });

  it('a late tick pushes the due cycle and opens a new one for the new events', () => {
    const open = onEvents(null, ['old'], 0, config).state;
    const step = onEvents(open, ['new'], 4000, config);
    expect(step.decision).toEqual({ kind: 'push', keys: ['old'], reason: 'quiet', events: 1, firstEventAt: 0, nextTickAt: 5000 });
    expect(step.state).toEqual({ firstEventAt: 4000, lastEventAt: 4000, events: 1, keys: ['new'] });
  });

  it('treats a clock running backwards as standing still', () => {
    const open = onEvents(null, ['a'], 10_000, config).state;
    const step = onEvents(open, ['b'], 9000, config);
    expect(step.state).toMatchObject({ firstEventAt: 10_000, lastEventAt: 10_000, events: 2 });
    expect(onTick(step.state, 10_500, config).decision).toEqual({ kind: 'wait', untilMs: 11_000 });
  });

  it('is idle without a cycle; an empty event list is a tick', () => {
    expect(onTick(null, 1, config)).toEqual({ state: null, decision: { kind: 'idle' } });
    expect(onEvents(null, [], 1, config)).toEqual({ state: null, decision: { kind: 'idle' } });
    expect(flushCycle(null, config).decision).toEqual({ kind: 'idle' });
    const open = onEvents(null, ['a'], 0, config).state;
    expect(flushCycle(open, config).decision).toMatchObject({ kind: 'push', reason: 'flush', keys: ['a'] });
  });

  it('round-trips its state through JSON and rejects a corrupt one naming the field', () => {
    const state = onEvents(null, ['x', 'y'], 42, config).state;
    expect(parseCycleState(JSON.parse(JSON.stringify(state)))).toEqual(state);
    expect(parseCycleState(null)).toBeNull();
    expect(() => parseCycleState({ firstEventAt: 5, lastEventAt: 4, events: 1, keys: ['a'] })).toThrow(/cycle\.lastEventAt/);
    expect(() => parseCycleState({ firstEventAt: 1, lastEventAt: 1, events: 1, keys: [7] })).toThrow(/cycle\.keys\[0\].*got 7/);
  });
});

describe('debounce configuration', () => {
  it('fills defaults', () => {
    expect(resolveDebounceConfig()).toEqual({ quietMs: 1000, maxDelayMs: 10_000, maxEvents: 1000 });
  });
  it.each([
    [{ quietMs: -1 }, /debounce\.quietMs.*got -1/],
    [{ maxDelayMs: 1.5 }, /debounce\.maxDelayMs.*got 1\.5/],
    [{ maxEvents: 0 }, /debounce\.maxEvents.*got 0/],
    [{ quietMs: 5000, maxDelayMs: 2000 }, /debounce\.quietMs: must not exceed maxDelayMs \(2000\).*got 5000/],
  ])('rejects %j', (input, message) => {
    expect(() => resolveDebounceConfig(input)).toThrow(message);
  });
});

// ---- properties: a host that ticks exactly when asked ----

interface Ev {
  dt: number;
  keys: string[];
}

const configArb = fc
  .record({ quietMs: fc.integer({ min: 1, max: 50 }), extra: fc.integer({ min: 0, max: 200 }), maxEvents: fc.integer({ min: 1, max: 30 }) })
  .map(({ quietMs, extra, maxEvents }): DebounceConfig => ({ quietMs, maxDelayMs: quietMs + extra, maxEvents }));

const eventsArb = fc.array(
  fc.record({ dt: fc.integer({ min: 0, max: 120 }), keys: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 3 }) }),
  { maxLength: 60 },
);

interface Pending {
  at: number;
}

/** Drive the pure machine, checking every push against the events it covers. */
function simulate(cfg: DebounceConfig, events: readonly Ev[]): void {
  let state: Cycle = null;
  let tickAt: number | null = null;
  const pending = new Map<string, Pending[]>();

  const record = (step: Step, now: number): void => {
    expect(parseCycleState(JSON.parse(JSON.stringify(step.state)))).toEqual(step.state);
    state = step.state;
    const d = step.decision;
    if (d.kind === 'push') {
      checkPush(d, now);
      tickAt = d.nextTickAt;
    } else if (d.kind === 'wait') {
      expect(d.untilMs).toBeGreaterThan(now);
      tickAt = d.untilMs;
    } else {
      tickAt = null;
    }
    if (tickAt !== null) expect(state).not.toBeNull();
  };

  const checkPush = (d: PushDecision, now: number): void => {
    let covered = 0;
    let first = Infinity;
    let last = -Infinity;
    for (const key of d.keys) {
      const list = pending.get(key) ?? [];
      const due = list.filter((p) => p.at <= now);
      expect(due.length).toBeGreaterThan(0); // no phantom key
      pending.set(key, list.filter((p) => p.at > now));
      covered += due.length;
      for (const p of due) {
        first = Math.min(first, p.at);
        last = Math.max(last, p.at);
      }
    }
    expect(d.events).toBe(covered);
    expect(d.firstEventAt).toBe(first);
    // never later than maxDelay after the cycle's first event
    expect(now).toBeLessThanOrEqual(first + cfg.maxDelayMs);
    // never earlier than the quiet time unless a limit says so
    if (d.reason === 'quiet') expect(now - last).toBeGreaterThanOrEqual(cfg.quietMs);
    if (d.reason === 'max-delay') expect(now - first).toBeGreaterThanOrEqual(cfg.maxDelayMs);
    if (d.reason === 'max-events') expect(d.events).toBeGreaterThanOrEqual(cfg.maxEvents);
  };

  let now = 0;
  for (const ev of events) {
    now += ev.dt;
    while (tickAt !== null && tickAt <= now) {
      const at: number = tickAt;
      record(onTick(state, at, cfg), at);
    }
    for (const key of ev.keys) {
      const list = pending.get(key) ?? [];
      list.push({ at: now });
      pending.set(key, list);
    }
    record(onEvents(state, ev.keys, now, cfg), now);
  }
  for (let guard = 0; tickAt !== null; guard++) {
    expect(guard).toBeLessThan(1000);
    const at: number = tickAt;
    record(onTick(state, at, cfg), at);
  }
  // no event is ever lost
  for (const [key, list] of pending) expect({ key, left: list.length }).toEqual({ key, left: 0 });
  expect(state).toBeNull();
}

describe('debounce properties', () => {
  it('never loses an event, never pushes early or late', () => {
    fc.assert(
      fc.property(configArb, eventsArb, (cfg, events) => {
        simulate(cfg, events);
      }),
      { numRuns: 300 },
    );
  });

  it('the local debouncer delivers every key at or after its event, within maxDelay', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, eventsArb, async (cfg, events) => {
        const clock = createManualClock(0);
        const seen: { at: number; keys: string[]; first: number }[] = [];
        const debouncer = createLocalDebouncer({
          config: cfg,
          clock,
          onPush: (b) => {
            seen.push({ at: clock.now(), keys: b.keys, first: b.firstEventAt });
          },
        });
        const added: { at: number; key: string }[] = [];
        let now = 0;
        for (const ev of events) {
          now += ev.dt;
          await clock.advanceTo(now);
          debouncer.add(ev.keys);
          for (const key of ev.keys) added.push({ at: now, key });
        }
        await clock.runAll();
        await debouncer.idle();
        for (const a of added) {
          expect(seen.some((p) => p.at >= a.at && p.keys.includes(a.key))).toBe(true);
        }
        for (const p of seen) expect(p.at - p.first).toBeLessThanOrEqual(cfg.maxDelayMs);
        expect(debouncer.snapshot()).toBeNull();
      }),
      { numRuns: 60 },
    );
  });
});
