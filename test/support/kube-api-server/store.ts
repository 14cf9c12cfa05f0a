// The server's storage: objects by resource, namespace and name, and one cluster-wide
// resourceVersion counter, as etcd gives a real server (every write bumps it).
import type { JsonObject } from './field-sets.ts';

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

export class ObjectStore {
  #revision: number;
  readonly #byResource = new Map<string, Map<string, JsonObject>>();

  constructor(initialRevision = 1000) {
    this.#revision = initialRevision;
  }

  get revision(): string {
    return String(this.#revision);
  }

  /** The revision the next write gets. */
  bump(): string {
    this.#revision += 1;
    return String(this.#revision);
  }

  #table(plural: string): Map<string, JsonObject> {
    let table = this.#byResource.get(plural);
    if (table === undefined) {
      table = new Map();
      this.#byResource.set(plural, table);
    }
    return table;
  }

  get(plural: string, namespace: string, name: string): JsonObject | undefined {
    return this.#table(plural).get(keyOf(namespace, name));
  }

  set(plural: string, namespace: string, name: string, obj: JsonObject): void {
    this.#table(plural).set(keyOf(namespace, name), obj);
  }

  delete(plural: string, namespace: string, name: string): boolean {
    return this.#table(plural).delete(keyOf(namespace, name));
  }

  /**
   * Objects in key order (namespace/name), the order a real server lists them in. `keep`
   * filters before the sort, as a real server's watch cache filters a selector list: a
   * list that matches 10 of 100,000 objects then costs a scan, not a sort of all of them.
   */
  list(plural: string, namespace?: string, keep?: (key: string, obj: JsonObject) => boolean): { key: string; obj: JsonObject }[] {
    const out: { key: string; obj: JsonObject }[] = [];
    const prefix = namespace === undefined ? '' : `${namespace}/`;
    for (const [key, obj] of this.#table(plural)) {
      if (key.startsWith(prefix) && (keep === undefined || keep(key, obj))) out.push({ key, obj });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  namespaces(): string[] {
    const out = new Set<string>();
    for (const table of this.#byResource.values()) for (const key of table.keys()) out.add(key.slice(0, key.indexOf('/')));
    return [...out];
  }

  count(plural: string): number {
    return this.#table(plural).size;
  }
}
