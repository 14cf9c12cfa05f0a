// A RegistrySource over an in-memory dump that a test edits between runs, with a switch
// to make it unreadable. The real source (lib/servicecenter) is tested against the simulator.
import type { ServiceDetail } from '../../lib/model/registry.ts';
import { RegistryUnavailableError, type RegistrySource } from '../../lib/pipeline/ports.ts';
import { partsOf } from '../../lib/render/service-group.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';

export class StaticRegistrySource implements RegistrySource {
  details: ServiceDetail[];
  down = false;
  reads = 0;
  constructor(details: ServiceDetail[] = []) {
    this.details = details;
  }
  async readAll(): Promise<ServiceDetail[]> {
    this.reads++;
    if (this.down) throw new RegistryUnavailableError('connect ECONNREFUSED 127.0.0.1:30100');
    return structuredClone(this.details);
  }
  async readServices(keys: readonly string[]): Promise<Map<string, ServiceDetail[]>> {
    const all = await this.readAll();
    const wanted = new Set(keys);
    const out = new Map<string, ServiceDetail[]>();
    for (const d of all) {
      const key = serviceKeyOf(partsOf(d.microService));
      if (!wanted.has(key)) continue;
      const list = out.get(key) ?? [];
      list.push(d);
      out.set(key, list);
    }
    return out;
  }
}
