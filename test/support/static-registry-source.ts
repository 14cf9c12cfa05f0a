// A RegistrySource over an in-memory dump that a test edits between runs, with a switch
// to make it unreadable. It goes through the same adapter as the real client.
import type { ServiceDetail } from '../../lib/model/registry.ts';
import type { RegistrySource } from '../../lib/pipeline/ports.ts';
import { createRegistrySource } from '../../lib/runtime/registry-source.ts';

export class StaticRegistrySource implements RegistrySource {
  details: ServiceDetail[];
  down = false;
  reads = 0;
  readonly #source: RegistrySource;
  constructor(details: ServiceDetail[] = []) {
    this.details = details;
    this.#source = createRegistrySource({
      governDump: async () => {
        this.reads++;
        if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:30100');
        return structuredClone(this.details);
      },
    });
  }
  readAll(): Promise<ServiceDetail[]> {
    return this.#source.readAll();
  }
  readServices(keys: readonly string[]): Promise<Map<string, ServiceDetail[]>> {
    return this.#source.readServices(keys);
  }
}
