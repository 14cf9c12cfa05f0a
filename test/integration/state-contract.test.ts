// The shared StateStore contract against the DynamoDB store on dynalite (the memory store
// runs the same suite in lib/state/memory-store.test.ts).
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { stateStoreContract } from '../support/state-store-contract.ts';
import { startEmbeddedDynalite } from '../../lib/state/embedded-dynalite.ts';
import { createDynamoStateStore } from '../../lib/state/dynamo-store.ts';

const TABLE = 'sc2mesh-contract-test';

stateStoreContract('DynamoDB (dynalite)', async ({ clock, reported }) => {
  const db = await startEmbeddedDynalite({ tableName: TABLE });
  const doc = DynamoDBDocumentClient.from(db.client);
  const put = async (Item: Record<string, unknown>): Promise<void> => {
    await doc.send(new PutCommand({ TableName: TABLE, Item }));
  };
  return {
    store: createDynamoStateStore({ client: db.client, tableName: TABLE, clock, onCorrupt: reported }),
    // hand edits: a hash that is a number, a cycle time that is a word
    corrupt: (kind, key, version) =>
      kind === 'service'
        ? put({ pk: 'SVC', sk: key, objectsHash: 42, lastPushAt: 1, objectCount: 0, objectsRef: '', objectsChunks: 0, version })
        : put({ pk: 'CYCLE', sk: key, state: { firstEventAt: 'soon', keys: [] }, version, updatedAt: 1 }),
    close: () => db.close(),
  };
});
