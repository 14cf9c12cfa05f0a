// The debounce cycle in DynamoDB (dynalite). Compare-and-set and the serverless host's
// step loop under concurrent invocations are in the shared StateStore contract
// (state-contract.test.ts, run against dynalite and memory); this is what only the
// DynamoDB item shows: how a hand-edited cycle item is reported.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { createDynamoStateStore } from '../../lib/state/dynamo-store.ts';
import { runCycleStep } from '../../lib/state/cycle-step.ts';
import type { CorruptItem, StateStore } from '../../lib/state/state-store.ts';
import { DEFAULT_DEBOUNCE_CONFIG as config } from '../../lib/debounce/config.ts';
import { onEvents } from '../../lib/debounce/cycle.ts';

const TABLE = 'sc2mesh-cycle-test';
let db: EmbeddedDynalite;
let store: StateStore;
const corrupt: CorruptItem[] = [];

beforeAll(async () => {
  db = await startEmbeddedDynalite({ tableName: TABLE });
  store = createDynamoStateStore({ client: db.client, tableName: TABLE, onCorrupt: (c) => corrupt.push(c) });
});

afterAll(async () => {
  await db.close();
});

describe('a hand-edited cycle item', () => {
  it('is reported, naming the bad field, and started afresh over', async () => {
    const doc = DynamoDBDocumentClient.from(db.client);
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'CYCLE', sk: 'edited', state: { firstEventAt: 'soon', keys: [] }, version: 9, updatedAt: 1 } }));
    expect(await store.getCycle('edited')).toEqual({ value: null, version: 9 });
    expect(corrupt).toEqual([expect.objectContaining({ pk: 'CYCLE', sk: 'edited', version: 9, field: expect.stringContaining('state') })]);
    const r = await runCycleStep(store, (s) => onEvents(s, ['fresh'], 0, config), { name: 'edited' });
    expect(r.written).toBe(true);
    expect(await store.getCycle('edited')).toMatchObject({ value: { keys: ['fresh'] }, version: 10 });
  });

  it('whose version is unreadable too wedges nothing silently: it throws', async () => {
    const doc = DynamoDBDocumentClient.from(db.client);
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'CYCLE', sk: 'no-version', state: null, version: 'nine', updatedAt: 1 } }));
    await expect(store.getCycle('no-version')).rejects.toThrow(/version/);
  });
});
