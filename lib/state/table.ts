// The one state table: generic string keys `pk` (partition) and `sk` (sort), on-demand,
// TTL on `expiresAt`. Every item kind lives under a fixed partition key, so each question
// the code asks is one Query or one GetItem:
//
//   pk      sk                                  item
//   SVC     <serviceKey>                        service summary: registryHash (ServiceRecord.objectsHash), version, ...
//   OBJ     <serviceKey>#<ref>#<chunk>          per-object content hashes of one service
//                                               (ref = <version>.<random>, see items.ts)
//   CYCLE   <name>                              debounce cycle state (CAS on version)
//   RUN     <startedAt, 13 digits>#<id>         run record for `sc2mesh status` (TTL)
//
// The per-minute sync reads only the compact SVC items (one paginated Query); the larger
// object maps sit in OBJ items that only a push (for its few services) or a full resync
// reads. serverless.yml mirrors this definition.
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { sleep } from '../retry/backoff.ts';

export const PK = 'pk';
export const SK = 'sk';
export const TTL_ATTRIBUTE = 'expiresAt';

export const PARTITION = {
  service: 'SVC',
  objects: 'OBJ',
  cycle: 'CYCLE',
  run: 'RUN',
} as const;

export const DEFAULT_CYCLE_NAME = 'push';

export function stateTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: PK, AttributeType: 'S' },
      { AttributeName: SK, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: PK, KeyType: 'HASH' },
      { AttributeName: SK, KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/** For serverless.yml (`TimeToLiveSpecification`); dynalite has no UpdateTimeToLive. */
export const TIME_TO_LIVE_SPECIFICATION = { AttributeName: TTL_ATTRIBUTE, Enabled: true } as const;

/** Create the table unless it exists, and wait until it is ACTIVE. */
export async function ensureStateTable(client: DynamoDBClient, tableName: string, timeoutMs = 10_000): Promise<'created' | 'exists'> {
  let outcome: 'created' | 'exists' = 'exists';
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await client.send(new CreateTableCommand(stateTableDefinition(tableName)));
      outcome = 'created';
    } catch (createError) {
      // Another process created it in between: fine.
      if (!(createError instanceof Error && createError.name === 'ResourceInUseException')) throw createError;
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (out.Table?.TableStatus === 'ACTIVE') return outcome;
    if (Date.now() > deadline) throw new Error(`table ${tableName}: still ${String(out.Table?.TableStatus)} after ${timeoutMs} ms`);
    await sleep(20);
  }
}
