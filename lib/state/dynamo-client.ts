// The DocumentClient plumbing every DynamoDB-backed part of the store shares: one table,
// capacity accounting on every request (what `metrics` reports), conditional single-item
// writes (dynalite has no transactions), and batch reads and writes that retry their
// unprocessed remainder.
import type { ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Item } from './items.ts';
import { PK, SK } from './table.ts';
import type { StateMetrics } from './state-store.ts';
import { sleep } from '../retry/backoff.ts';

const BATCH_GET_MAX = 100;
const BATCH_WRITE_MAX = 25;
const BATCH_WRITE_CONCURRENCY = 4;

export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

export interface TableClient {
  readonly metrics: StateMetrics;
  resetMetrics(): void;
  get(pk: string, sk: string, consistent?: boolean): Promise<Item | undefined>;
  /** Every page of a Query, or pages until `limit` items are in. */
  queryAll(input: Omit<QueryCommandInput, 'TableName'>, limit?: number): Promise<Item[]>;
  /** One Query page, for callers that stop early. */
  queryPage(input: Omit<QueryCommandInput, 'TableName'>): Promise<{ items: Item[]; next: Record<string, unknown> | undefined }>;
  put(item: Item): Promise<void>;
  /** Put if the item's version is `expected` (undefined or 0: the item must not exist); false if not. */
  conditionalPut(item: Item, expected: number | undefined): Promise<boolean>;
  /** Delete if the item's version is `expected`; false if not. */
  conditionalDelete(pk: string, sk: string, expected: number): Promise<boolean>;
  batchGet(keys: readonly Item[], consistent: boolean): Promise<Item[]>;
  /** Batches of 25, a few in flight at once. */
  batchWrite(requests: readonly WriteRequest[]): Promise<void>;
}

/** The key condition of one whole partition. */
export function partitionQuery(pk: string): Omit<QueryCommandInput, 'TableName'> {
  return { KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': PK }, ExpressionAttributeValues: { ':pk': pk } };
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}


export function createTableClient(client: DynamoDBClient, TableName: string): TableClient {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const metrics: StateMetrics = { readUnits: 0, writeUnits: 0, reads: 0, writes: 0 };

  const count = (kind: 'read' | 'write', consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): void => {
    const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
    let units = 0;
    for (const c of list) units += c.CapacityUnits ?? 0;
    if (kind === 'read') {
      metrics.reads++;
      metrics.readUnits += units;
    } else {
      metrics.writes++;
      metrics.writeUnits += units;
    }
  };

  /** A write whose condition failed; other errors count as a write too and are rethrown. */
  async function conditional(send: () => Promise<{ ConsumedCapacity?: ConsumedCapacity | undefined }>): Promise<boolean> {
    try {
      const out = await send();
      count('write', out.ConsumedCapacity);
      return true;
    } catch (error) {
      metrics.writes++;
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async function queryPage(input: Omit<QueryCommandInput, 'TableName'>): Promise<{ items: Item[]; next: Record<string, unknown> | undefined }> {
    const out = await doc.send(new QueryCommand({ ...input, TableName, ReturnConsumedCapacity: 'TOTAL' }));
    count('read', out.ConsumedCapacity);
    return { items: out.Items ?? [], next: out.LastEvaluatedKey };
  }

  async function batchWriteGroup(group: readonly WriteRequest[]): Promise<void> {
    let pending = group;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [TableName]: [...pending] }, ReturnConsumedCapacity: 'TOTAL' }));
      count('write', out.ConsumedCapacity);
      pending = (out.UnprocessedItems?.[TableName] ?? []) as WriteRequest[];
      if (attempt > 10 && pending.length > 0) throw new Error(`BatchWriteItem: ${pending.length} requests still unprocessed after ${attempt} attempts`);
    }
  }

  return {
    metrics,
    resetMetrics() {
      metrics.readUnits = 0;
      metrics.writeUnits = 0;
      metrics.reads = 0;
      metrics.writes = 0;
    },

    async get(pk, sk, consistent = true) {
      const out = await doc.send(new GetCommand({ TableName, Key: { [PK]: pk, [SK]: sk }, ConsistentRead: consistent, ReturnConsumedCapacity: 'TOTAL' }));
      count('read', out.ConsumedCapacity);
      return out.Item;
    },

    async queryAll(input, limit = Infinity) {
      const items: Item[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await queryPage({ ...input, ExclusiveStartKey: start });
        items.push(...page.items);
        start = page.next;
      } while (start !== undefined && items.length < limit);
      return items;
    },

    queryPage,

    async put(item) {
      const out = await doc.send(new PutCommand({ TableName, Item: item, ReturnConsumedCapacity: 'TOTAL' }));
      count('write', out.ConsumedCapacity);
    },

    conditionalPut(item, expected) {
      const absent = expected === undefined || expected === 0;
      const command = new PutCommand({
        TableName,
        Item: item,
        ConditionExpression: absent ? 'attribute_not_exists(#pk)' : '#v = :v',
        ExpressionAttributeNames: absent ? { '#pk': PK } : { '#v': 'version' },
        ...(absent ? {} : { ExpressionAttributeValues: { ':v': expected } }),
        ReturnConsumedCapacity: 'TOTAL',
      });
      return conditional(() => doc.send(command));
    },

    conditionalDelete(pk, sk, expected) {
      const command = new DeleteCommand({
        TableName,
        Key: { [PK]: pk, [SK]: sk },
        ConditionExpression: '#v = :v',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':v': expected },
        ReturnConsumedCapacity: 'TOTAL',
      });
      return conditional(() => doc.send(command));
    },

    async batchGet(keys, consistent) {
      const found: Item[] = [];
      for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
        let pending: Item[] = keys.slice(i, i + BATCH_GET_MAX);
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
          const out = await doc.send(new BatchGetCommand({ RequestItems: { [TableName]: { Keys: pending, ConsistentRead: consistent } }, ReturnConsumedCapacity: 'TOTAL' }));
          count('read', out.ConsumedCapacity);
          found.push(...(out.Responses?.[TableName] ?? []));
          pending = (out.UnprocessedKeys?.[TableName]?.Keys ?? []) as Item[];
          if (attempt > 10 && pending.length > 0) throw new Error(`BatchGetItem: ${pending.length} keys still unprocessed after ${attempt} attempts`);
        }
      }
      return found;
    },

    async batchWrite(requests) {
      const groups: WriteRequest[][] = [];
      for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) groups.push(requests.slice(i, i + BATCH_WRITE_MAX));
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < groups.length) await batchWriteGroup(groups[next++] as WriteRequest[]);
      };
      await Promise.all(Array.from({ length: Math.min(BATCH_WRITE_CONCURRENCY, groups.length) }, worker));
    },
  };
}
