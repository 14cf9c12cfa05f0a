// Run records for `sc2mesh status`, newest first. They expire through DynamoDB's TTL;
// dynalite has none, so a listing also leaves out what has expired, and in local mode the
// records simply stay (a handful a minute, small).
import type { Clock } from '../time/clock.ts';
import type { TableClient } from './dynamo-client.ts';
import { partitionQuery } from './dynamo-client.ts';
import { runFromItem, runToItem, validateRunRecord } from './items.ts';
import { storedRun } from './record-rules.ts';
import { PARTITION } from './table.ts';
import type { CorruptItem, StateStore, StoredRunRecord } from './state-store.ts';

export function createRunLog(deps: { table: TableClient; clock: Pick<Clock, 'now'>; retentionMs: number; report: (item: CorruptItem) => void }): Pick<StateStore, 'recordRun' | 'recentRuns'> {
  return {
    async recordRun(run) {
      validateRunRecord(run);
      const stored = storedRun(run, deps.retentionMs);
      await deps.table.put(runToItem(stored));
      return stored;
    },

    async recentRuns(limit = 20) {
      const nowSeconds = Math.floor(deps.clock.now() / 1000);
      const runs: StoredRunRecord[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await deps.table.queryPage({ ...partitionQuery(PARTITION.run), ScanIndexForward: false, Limit: limit, ExclusiveStartKey: start });
        for (const item of page.items) {
          const r = runFromItem(item);
          if (!r.ok) deps.report(r.corrupt);
          else if (r.value.expiresAt > nowSeconds && runs.length < limit) runs.push(r.value);
        }
        start = page.next;
      } while (start !== undefined && runs.length < limit);
      return runs;
    },
  };
}
