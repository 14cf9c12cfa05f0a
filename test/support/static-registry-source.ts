// A RegistrySource over an in-memory dump that a test edits between runs, with a switch
// to make it unreadable. Its per-service read answers as the batch find does: instances of
// every version, so a version without instances is not seen; a service not in the dump is
// missing.
import type { ServiceDetail } from '../../lib/model/registry.ts';
import { RegistryReadError, type GovernanceListing, type RegistryRead, type RegistrySource } from '../../lib/pipeline/contracts.ts';
import { partsOf } from '../../lib/render/service-group.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';

export class StaticRegistrySource implements RegistrySource {
  details: ServiceDetail[];
  down = false;
  /** calls of any kind */
  reads = 0;
  /** whole-registry reads (dump or listing) */
  fullReads = 0;
  /** governance answers per kind, as GET /v1/{project}/gov/{kind} gives them; a test edits them between runs */
  governance: GovernanceListing = { lists: {}, unavailable: [] };
  /** only the governance API fails */
  governanceDown = false;
  governanceReads = 0;
  /** keys a per-service read answers as unreadable (a find that failed for them alone) */
  readonly unreadableKeys = new Set<string>();
  /** every key a per-service read asked for, each call's keys sorted */
  readonly keysRead: string[] = [];
  constructor(details: ServiceDetail[] = []) {
    this.details = details;
  }

  #snapshot(): ServiceDetail[] {
    this.reads++;
    if (this.down) throw new RegistryReadError('connect ECONNREFUSED 127.0.0.1:30100');
    return structuredClone(this.details);
  }

  async readAll(): Promise<ServiceDetail[]> {
    const all = this.#snapshot();
    this.fullReads++;
    return all;
  }

  async readServices(keys: readonly string[]): Promise<RegistryRead> {
    const wanted = new Set(keys);
    this.keysRead.push(...[...wanted].sort());
    const read: RegistryRead = { services: new Map(), missing: new Set(), unreadable: new Map() };
    for (const key of wanted) if (this.unreadableKeys.has(key)) read.unreadable.set(key, '400011 injected: find failed for this key');
    for (const detail of this.#snapshot()) {
      const key = serviceKeyOf(partsOf(detail.microService));
      if (!wanted.has(key) || read.unreadable.has(key)) continue;
      let list = read.services.get(key);
      if (list === undefined) read.services.set(key, (list = []));
      if ((detail.instances ?? []).length > 0) list.push(detail);
    }
    for (const key of wanted) if (!read.services.has(key) && !read.unreadable.has(key)) read.missing.add(key);
    return read;
  }

  async readGovernance(): Promise<GovernanceListing> {
    this.governanceReads++;
    if (this.down || this.governanceDown) throw new RegistryReadError('governance: connect ECONNREFUSED 127.0.0.1:30100');
    return structuredClone(this.governance);
  }

  async listServiceKeys(): Promise<Set<string>> {
    const all = this.#snapshot();
    this.fullReads++;
    return new Set(all.map((d) => serviceKeyOf(partsOf(d.microService))));
  }
}
