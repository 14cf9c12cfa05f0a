// dynalite in this process: the local runner's and the tests' DynamoDB. It listens on
// 127.0.0.1 on a free port, keeps data in memory or, with `path`, in a LevelDB directory
// (local mode survives restarts), and is reached through the same @aws-sdk client as
// production, with dummy credentials so no AWS account is involved.
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureStateTable } from './table.ts';

export interface EmbeddedDynaliteOptions {
  tableName: string;
  /** LevelDB directory; in memory when absent */
  path?: string;
}

export interface EmbeddedDynalite {
  endpoint: string;
  client: DynamoDBClient;
  tableName: string;
  /** whether this start created the table */
  created: boolean;
  close(): Promise<void>;
}

/** A DynamoDB client for a local endpoint (dynalite), needing no AWS credentials. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
}

export async function startEmbeddedDynalite(options: EmbeddedDynaliteOptions): Promise<EmbeddedDynalite> {
  // Loaded on demand: the Lambda bundles never start it and do not ship it.
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path !== undefined ? { path: options.path } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = localDynamoClient(endpoint);
  const close = async (): Promise<void> => {
    client.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  };
  try {
    const created = (await ensureStateTable(client, options.tableName)) === 'created';
    return { endpoint, client, tableName: options.tableName, created, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
