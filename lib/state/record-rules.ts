// Rules both stores share, so that memory and DynamoDB cannot disagree on them: when a
// record is unchanged (and so not written), and how long a run record lives.
import { recordExtras } from './items.ts';
import type { PreviousService, RunRecord, ServiceRecord, ServiceState, StoredRunRecord } from './state-store.ts';

export const DEFAULT_RUN_RETENTION_MS = 7 * 86_400_000;

export function isFullState(previous: PreviousService): previous is ServiceState {
  return 'objectsHash' in previous;
}

export function sameObjects(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/** JSON with sorted keys: a map read back from DynamoDB need not keep its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether `next` would store nothing new over `previous` (lastPush* do not count). */
export function sameContent(previous: ServiceState, next: ServiceRecord): boolean {
  return (
    previous.objectsHash === next.objectsHash &&
    sameObjects(previous.objects, next.objects) &&
    canonical(recordExtras(previous)) === canonical(recordExtras(next))
  );
}

export function storedRun(run: RunRecord, retentionMs: number): StoredRunRecord {
  return { ...run, expiresAt: Math.floor((run.startedAt + retentionMs) / 1000) };
}
