// StateStore on DynamoDB (and on dynalite, through the very same client code), composed
// of one part per kind of item: service records (service-records.ts), the debounce cycle
// (cycle-record.ts) and the run log (run-log.ts), over one table client
// (dynamo-client.ts) that adds up every request's consumed capacity in `metrics`.
// Layout and reasons: see table.ts.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { systemClock, type Clock } from '../time/clock.ts';
import { createTableClient } from './dynamo-client.ts';
import { createServiceRecords } from './service-records.ts';
import { createCycleRecord } from './cycle-record.ts';
import { createRunLog } from './run-log.ts';
import { DEFAULT_RUN_RETENTION_MS } from './record-rules.ts';
import type { CorruptItem, StateStore } from './state-store.ts';

export interface DynamoStateStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** how long run records live (TTL); default 7 days */
  runRetentionMs?: number;
  /** where corrupt items are reported (besides being returned); default: a warning on `logger` */
  onCorrupt?: (item: CorruptItem) => void;
  logger?: Logger;
  clock?: Pick<Clock, 'now'>;
}

export function createDynamoStateStore(options: DynamoStateStoreOptions): StateStore {
  const table = createTableClient(options.client, options.tableName);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const report = (item: CorruptItem): void => {
    if (options.onCorrupt !== undefined) options.onCorrupt(item);
    else logger.warn({ pk: item.pk, sk: item.sk, field: item.field }, `corrupt state item skipped: ${item.message}`);
  };
  return {
    ...createServiceRecords({ table, clock, logger, report }),
    ...createCycleRecord({ table, clock, report }),
    ...createRunLog({ table, clock, retentionMs: options.runRetentionMs ?? DEFAULT_RUN_RETENTION_MS, report }),
    metrics: table.metrics,
    resetMetrics: () => table.resetMetrics(),
  };
}
