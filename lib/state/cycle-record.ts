// The debounce cycle in DynamoDB: one item per cycle name, replaced by compare-and-set on
// its version (cycle-step.ts runs the state machine over it).
import type { Cycle } from '../debounce/cycle.ts';
import type { Clock } from '../time/clock.ts';
import type { TableClient } from './dynamo-client.ts';
import { cycleFromItem } from './items.ts';
import { DEFAULT_CYCLE_NAME, PARTITION, PK, SK } from './table.ts';
import { CorruptStateError, type CorruptItem, type StateStore, type Versioned } from './state-store.ts';

export function createCycleRecord(deps: { table: TableClient; clock: Pick<Clock, 'now'>; report: (item: CorruptItem) => void }): Pick<StateStore, 'getCycle' | 'casCycle'> {
  return {
    async getCycle(name = DEFAULT_CYCLE_NAME): Promise<Versioned<Cycle>> {
      const item = await deps.table.get(PARTITION.cycle, name);
      if (item === undefined) return { value: null, version: 0 };
      const r = cycleFromItem(item);
      if (r.ok) return { value: r.value.state, version: r.value.version };
      // A corrupt cycle only held dirty markers (the sync re-finds them): start afresh,
      // overwriting it under its own version, rather than wedging every push.
      deps.report(r.corrupt);
      if (r.corrupt.version === undefined) throw new CorruptStateError(r.corrupt);
      return { value: null, version: r.corrupt.version };
    },

    casCycle(next, expectedVersion, name = DEFAULT_CYCLE_NAME) {
      return deps.table.conditionalPut({ [PK]: PARTITION.cycle, [SK]: name, state: next, version: expectedVersion + 1, updatedAt: deps.clock.now() }, expectedVersion);
    },
  };
}
