// Dry run (resync --dry-run, `sc2mesh diff`): the same code path with the writes turned
// into records of what would have been written. Reads stay real.
import { keyOfRef, keyOfObject, type IstioObject } from '../model/istio.ts';
import type { ObjectRef } from '../plan/object-plan.ts';
import type { StateStore } from '../state/state-store.ts';
import type { ClusterTarget } from './contracts.ts';

export interface DryRunLog {
  applies: IstioObject[];
  deletes: ObjectRef[];
}

export function dryRunCluster(cluster: ClusterTarget, log: DryRunLog): ClusterTarget {
  return {
    ...(cluster.kinds === undefined ? {} : { kinds: cluster.kinds }),
    listOwned: (options) => cluster.listOwned(options),
    ...(cluster.listObjects === undefined ? {} : { listObjects: cluster.listObjects.bind(cluster) }),
    async apply(objects) {
      log.applies.push(...objects);
      return { applied: objects.map((o) => ({ key: keyOfObject(o) })), conflicts: [], failed: [] };
    },
    async delete(refs) {
      log.deletes.push(...refs);
      return { deleted: refs.map((r) => keyOfRef(r)), absent: [], conflicts: [], failed: [] };
    },
  };
}

/** State that reads through and writes nothing. */
export function readOnlyState(state: StateStore): StateStore {
  return new Proxy(state, {
    get(target, prop, receiver) {
      if (prop === 'putService') return async () => ({ written: false, version: 0 });
      if (prop === 'deleteService' || prop === 'recordRun' || prop === 'casCycle' || prop === 'setAuditCursor') return async () => undefined;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
