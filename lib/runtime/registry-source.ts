// The pipeline's RegistrySource over the service-center client. Reading some services uses
// the same one-call govern dump as reading all: the registry offers no per-group read
// without a consumer service, and one dump call is cheaper than many for a push batch.
import type { ServiceDetail } from '../model/registry.ts';
import type { RegistryReader } from '../servicecenter/index.ts';
import { RegistryUnavailableError, type RegistrySource } from '../pipeline/ports.ts';
import { partsOf } from '../render/service-group.ts';
import { serviceKeyOf } from '../names/service-names.ts';

export function createRegistrySource(client: Pick<RegistryReader, 'governDump'>): RegistrySource {
  const readAll = async (): Promise<ServiceDetail[]> => {
    try {
      return await client.governDump();
    } catch (error) {
      throw new RegistryUnavailableError((error as Error).message, { cause: error });
    }
  };
  return {
    readAll,
    async readServices(keys) {
      const wanted = new Set(keys);
      const out = new Map<string, ServiceDetail[]>();
      for (const detail of await readAll()) {
        const key = serviceKeyOf(partsOf(detail.microService));
        if (!wanted.has(key)) continue;
        const list = out.get(key);
        if (list === undefined) out.set(key, [detail]);
        else list.push(detail);
      }
      return out;
    },
  };
}
