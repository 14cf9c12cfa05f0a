// GET /v4/{project}/govern/relations: the dependency graph as service-center draws it
// (server/service/govern/graph.go, Draw). One node per listed service (the registry's own
// entry only withShared); one line per consumer→provider pair, from ListProviders with
// noSelf and the same domain, skipping the registry's own entry unless withShared.
// The wire shape follows Go's encoding of those structs, which have no omitempty:
//   - every node carries id, name, appId, version and empty type, color, position;
//   - a line's `from` is the consumer's whole node, its `to` only the provider's id and
//     name (appId and version are empty strings), plus empty type, color, descriptor;
//   - a list with nothing in it is `null` (nil slices), and `circles` is never filled.
// So the graph does not say which environment a service is in.
import type { JsonObject, RegistryStore } from './store.ts';

function node(id: string, name: string, appId: string, version: string): JsonObject {
  return { id, name, appId, version, type: '', color: '', position: '' };
}

export function drawRelations(store: RegistryStore, tenant: string, withShared: boolean): JsonObject {
  const services = store.listServices(tenant, withShared);
  if (services.length === 0) return { nodes: null, lines: null, circles: null };
  const nodes: JsonObject[] = [];
  const lines: JsonObject[] = [];
  for (const service of services) {
    const id = String(service['serviceId']);
    const from = node(id, String(service['serviceName']), String(service['appId']), String(service['version']));
    nodes.push(from);
    for (const provider of store.providersOf(tenant, id, true)) {
      const providerId = String(provider['serviceId']);
      if (providerId === id) continue;
      if (!withShared && store.isShared(tenant, providerId)) continue;
      lines.push({ from, to: node(providerId, String(provider['serviceName']), '', ''), type: '', color: '', descriptor: '' });
    }
  }
  return { nodes, lines: lines.length === 0 ? null : lines, circles: null };
}
