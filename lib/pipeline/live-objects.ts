// What the cluster holds for the services of one push, metadata only: one list per kind by
// the service label for a small batch, the whole owned set for a large one (a few
// paginated lists beat hundreds of selector lists). Never one GET per object.
import { packRuns } from '../collections/pack-runs.ts';
import { SERVICE_LABEL } from '../model/ownership.ts';
import type { ClusterTarget, LiveObject } from './contracts.ts';

/** Above this many services one full owned listing is cheaper than selector lists. */
export const LIST_ALL_ABOVE = 200;
/**
 * Characters of service names (and their commas) per label selector (`in (...)`): a
 * request line well under the 8 KiB a proxy in front of the API server may allow, and
 * still 60-130 names a list. Every selector list costs the server a scan of the whole
 * kind (its watch cache has no label index), so fewer lists is less work.
 */
export const SELECTOR_NAMES_MAX_CHARS = 4000;

/** Names in listing order, cut into runs whose joined length stays within `maxChars`. */
export function selectorChunks(names: readonly string[], maxChars: number = SELECTOR_NAMES_MAX_CHARS): string[][] {
  return packRuns(names, { cost: (name) => name.length + 1, maxCost: maxChars });
}

/** Live objects by service name (SERVICE_LABEL); a name with nothing live maps to []. */
export async function readLiveObjects(cluster: Pick<ClusterTarget, 'listOwned'>, names: readonly string[]): Promise<Map<string, LiveObject[]>> {
  const unique = [...new Set(names)];
  const out = new Map<string, LiveObject[]>(unique.map((n) => [n, []]));
  if (unique.length === 0) return out;
  const chunks: (readonly string[] | undefined)[] = unique.length > LIST_ALL_ABOVE ? [undefined] : selectorChunks(unique);
  // The lists are independent: one slow or retried answer does not hold up the others.
  const lists = await Promise.all(chunks.map((services) => cluster.listOwned(services === undefined ? {} : { services })));
  for (const list of lists) {
    for (const o of list) {
      const name = o.labels[SERVICE_LABEL];
      if (name !== undefined) out.get(name)?.push(o);
    }
  }
  return out;
}
