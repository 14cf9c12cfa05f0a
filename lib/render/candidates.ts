// Phase 1 of rendering a service: one candidate per instanceId across every version of
// the service. The registry may list one instance under two versions (re-registration
// with a new serviceId) or twice in one list; a WorkloadEntry per instanceId needs one
// winner, picked the same way whatever the listing order.
import type { MicroServiceInstance } from '../model/registry.ts';
import type { ServiceGroup } from './service-group.ts';

export interface Candidate {
  instance: MicroServiceInstance;
  serviceId: string;
  version: string;
}

function modTime(instance: MicroServiceInstance): number {
  const n = Number(instance.modTimestamp ?? instance.timestamp ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** Deterministic winner between two registrations of one instanceId: newest, then larger serviceId, then endpoints. */
function preferred(a: Candidate, b: Candidate): Candidate {
  const ta = modTime(a.instance);
  const tb = modTime(b.instance);
  if (ta !== tb) return ta > tb ? a : b;
  if (a.serviceId !== b.serviceId) return a.serviceId > b.serviceId ? a : b;
  const ea = (a.instance.endpoints ?? []).join(' ');
  const eb = (b.instance.endpoints ?? []).join(' ');
  return ea >= eb ? a : b;
}

/** Candidates in first-listed order; a warning for each duplicate. */
// Up to this many candidates a duplicate is looked for by comparing ids in a loop: the
// usual service has a handful of instances, and a Map per service (its allocation and
// hashing every id) cost more than the comparisons, which mostly stop at the first character.
const LINEAR_SCAN_MAX = 32;

function indexById(candidates: readonly Candidate[], id: string): number | undefined {
  for (let i = 0; i < candidates.length; i++) if ((candidates[i] as Candidate).instance.instanceId === id) return i;
  return undefined;
}

export function collectCandidates(group: ServiceGroup, warnings: string[]): Candidate[] {
  let total = 0;
  for (const version of group.versions) total += version.instances.length;
  // instanceId → index in `candidates`: a duplicate replaces the winner in place, keeping the first-listed position.
  const seen = total > LINEAR_SCAN_MAX ? new Map<string, number>() : undefined;
  const candidates: Candidate[] = [];
  for (const version of group.versions) {
    const serviceId = version.service.serviceId;
    const versionName = version.service.version;
    for (const instance of version.instances) {
      const candidate: Candidate = { instance, serviceId, version: versionName };
      const at = seen === undefined ? indexById(candidates, instance.instanceId) : seen.get(instance.instanceId);
      if (at === undefined) {
        seen?.set(instance.instanceId, candidates.length);
        candidates.push(candidate);
        continue;
      }
      const kept = preferred(candidates[at] as Candidate, candidate);
      candidates[at] = kept;
      warnings.push(`instance ${instance.instanceId} is listed more than once; kept the registration of service ${kept.serviceId}`);
    }
  }
  return candidates;
}
