// The debounce cycle kept in DynamoDB (dynalite): compare-and-set on its version, and the
// serverless host's step loop under concurrent push invocations.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from '@jest/globals';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { createDynamoStateStore } from '../../lib/state/dynamo-store.ts';
import { runCycleStep } from '../../lib/state/cycle-step.ts';
import type { CorruptItem, StateStore } from '../../lib/state/state-store.ts';
import { DEFAULT_DEBOUNCE_CONFIG as config } from '../../lib/debounce/config.ts';
import { onEvents, onTick, type Cycle } from '../../lib/debounce/cycle.ts';

const TABLE = 'sc2mesh-cycle-test';
let db: EmbeddedDynalite;
let store: StateStore;
const corrupt: CorruptItem[] = [];
let cycleName = '';
let n = 0;

beforeAll(async () => {
  db = await startEmbeddedDynalite({ tableName: TABLE });
  store = createDynamoStateStore({ client: db.client, tableName: TABLE, onCorrupt: (c) => corrupt.push(c) });
});

afterAll(async () => {
  await db.close();
});

beforeEach(() => {
  cycleName = `cycle-${n++}`; // each test its own cycle item
  corrupt.length = 0;
  store.resetMetrics();
});

describe('cycle compare-and-set', () => {
  it('starts empty at version 0 and round-trips a cycle', async () => {
    expect(await store.getCycle(cycleName)).toEqual({ value: null, version: 0 });
    const state = onEvents(null, ['b', 'a'], 1000, config).state;
    expect(await store.casCycle(state, 0, cycleName)).toBe(true);
    expect(await store.getCycle(cycleName)).toEqual({ value: state, version: 1 });
    expect(await store.casCycle(null, 1, cycleName)).toBe(true);
    expect(await store.getCycle(cycleName)).toEqual({ value: null, version: 2 });
  });

  it('lets exactly one of two concurrent writers win', async () => {
    await store.casCycle(onEvents(null, ['x'], 0, config).state, 0, cycleName);
    const results = await Promise.all([
      store.casCycle(onEvents(null, ['from-a'], 5, config).state, 1, cycleName),
      store.casCycle(onEvents(null, ['from-b'], 5, config).state, 1, cycleName),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const { value, version } = await store.getCycle(cycleName);
    expect(version).toBe(2);
    expect(value?.keys).toEqual(results[0] ? ['from-a'] : ['from-b']);
  });
});

describe('runCycleStep (the serverless host)', () => {
  it('pushes a due cycle from exactly one of several concurrent invocations', async () => {
    await runCycleStep(store, (s) => onEvents(s, ['svc-1', 'svc-2'], 0, config), { name: cycleName });
    const results = await Promise.all(Array.from({ length: 4 }, () => runCycleStep(store, (s) => onTick(s, 1000, config), { name: cycleName })));
    const pushes = results.filter((r) => r.decision.kind === 'push');
    expect(pushes).toHaveLength(1);
    expect(pushes[0]?.decision).toMatchObject({ keys: ['svc-1', 'svc-2'], reason: 'quiet' });
    expect(results.filter((r) => r.decision.kind === 'idle')).toHaveLength(3);
    expect((await store.getCycle(cycleName)).value).toBeNull();
  });

  it('loses no key when many invocations add events at once', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `svc-${i}`);
    const results = await Promise.all(keys.map((k, i) => runCycleStep(store, (s) => onEvents(s, [k], 100 + i, config), { name: cycleName, maxAttempts: 50 })));
    expect(results.every((r) => r.written)).toBe(true);
    expect(results.some((r) => r.attempts > 1)).toBe(true); // they did collide
    const { value } = await store.getCycle(cycleName);
    expect(value?.keys).toEqual([...keys].sort());
    expect(value?.events).toBe(12);
  });

  it('writes nothing for a tick that is not due', async () => {
    await runCycleStep(store, (s) => onEvents(s, ['k'], 0, config), { name: cycleName });
    store.resetMetrics();
    const r = await runCycleStep(store, (s) => onTick(s, 500, config), { name: cycleName });
    expect(r).toMatchObject({ written: false, decision: { kind: 'wait', untilMs: 1000 } });
    expect(store.metrics.writes).toBe(0);
    expect(store.metrics.reads).toBe(1);
  });

  it('gives up with StaleStateError when it keeps losing', async () => {
    const alwaysLoses: Pick<StateStore, 'getCycle' | 'casCycle'> = {
      getCycle: async () => ({ value: null, version: 3 }),
      casCycle: async () => false,
    };
    await expect(runCycleStep(alwaysLoses, (s: Cycle) => onEvents(s, ['k'], 0, config), { maxAttempts: 3 })).rejects.toThrow(/CYCLE\/push: changed since read \(expected version 3\)/);
  });

  it('reports a corrupt cycle and starts afresh over it', async () => {
    const doc = DynamoDBDocumentClient.from(db.client);
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'CYCLE', sk: cycleName, state: { firstEventAt: 'soon', keys: [] }, version: 9, updatedAt: 1 } }));
    expect(await store.getCycle(cycleName)).toEqual({ value: null, version: 9 });
    expect(corrupt).toEqual([expect.objectContaining({ pk: 'CYCLE', sk: cycleName, version: 9, field: expect.stringContaining('state') })]);
    const r = await runCycleStep(store, (s) => onEvents(s, ['fresh'], 0, config), { name: cycleName });
    expect(r.written).toBe(true);
    expect(await store.getCycle(cycleName)).toMatchObject({ value: { keys: ['fresh'] }, version: 10 });
  });
});
