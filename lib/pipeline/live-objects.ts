// What the cluster holds for the services of one push, metadata only: one list per kind by
// the service label for a small batch, the whole owned set for a large one (a few
// paginated lists beat hundreds of selector lists). Never one GET per object.
import { SERVICE_LABEL } from '../model/ownership.ts';
import type { ClusterTarget, LiveObject } from './contracts.ts';

/** Above this many services one full owned listing is cheaper than selector lists. */
export const LIST_ALL_ABOVE = 200;
/** Service names per label selector (`in (...)`), keeping the request URL short. */
const NAMES_PER_SELECTOR = 40;

/** Live objects by service name (SERVICE_LABEL); a name with nothing live maps to []. */
export async function readLiveObjects(cluster: ClusterTarget, names: readonly string[]): Promise<Map<string, LiveObject[]>> {
  const unique = [...new Set(names)];
  const out = new Map<string, LiveObject[]>(unique.map((n) => [n, []]));
  if (unique.length === 0) return out;
  const chunks: (readonly string[] | undefined)[] = [];
  if (unique.length > LIST_ALL_ABOVE) chunks.push(undefined);
  else for (let i = 0; i < unique.length; i += NAMES_PER_SELECTOR) chunks.push(unique.slice(i, i + NAMES_PER_SELECTOR));
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
