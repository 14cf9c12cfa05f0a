// A whole registry → every object, with the checks that need the whole set: two services
// may not claim one host (hosts fold case, as DNS does) or one object name.
import type { ServiceDetail } from '../model/registry.ts';
import type { IstioObject } from '../model/istio.ts';
import { byKey, groupServicesInListingOrder, type ServiceGroup } from './service-group.ts';
import { renderService, type RenderedService, type SkippedService } from './render-service.ts';
import type { RenderOptions } from './options.ts';

export interface RegistryRender {
  /** rendered services, sorted by object name */
  services: RenderedService[];
  skipped: SkippedService[];
  /** every object, service by service in name order (deterministic for any input order) */
  objects: IstioObject[];
  instances: number;
  published: number;
  /** instances left out of rendered services for a bad endpoint (each service lists its own in `skippedInstances`) */
  instancesSkipped: number;
  /** each rendered service's group, by key: what governance reads a service's versions and parts from */
  groups: ReadonlyMap<string, ServiceGroup>;
}

/** The exact-case claimant wins a case-folded clash; otherwise the smallest key. */
function claimRank(service: RenderedService): string {
  const exact = service.key === service.key.toLowerCase() ? '0' : '1';
  return `${exact}${service.key}`;
}

function dropClashes(services: RenderedService[], skipped: SkippedService[], what: 'host' | 'name'): RenderedService[] {
  const claims = new Map<string, RenderedService[]>();
  for (const s of services) {
    if (s.objects.length === 0) continue;
    const value = what === 'host' ? s.host : s.name;
    const list = claims.get(value);
    if (list === undefined) claims.set(value, [s]);
    else list.push(s);
  }
  const losers = new Set<RenderedService>();
  for (const [value, list] of claims) {
    if (list.length < 2) continue;
    list.sort((a, b) => (claimRank(a) < claimRank(b) ? -1 : 1));
    const winner = list[0] as RenderedService;
    for (const loser of list.slice(1)) {
      losers.add(loser);
      skipped.push({ key: loser.key, display: loser.display, reason: `${what} ${value} is already taken by ${winner.display}` });
    }
  }
  return losers.size === 0 ? services : services.filter((s) => !losers.has(s));
}

export function renderRegistry(details: readonly ServiceDetail[], options: RenderOptions): RegistryRender {
  // Rendered in listing order (memory order, see groupServicesInListingOrder), then put
  // in key order, so everything below sees the groups exactly as groupServices lists them.
  const rendered = groupServicesInListingOrder(details).map((group) => ({ key: group.key, group, result: renderService(group, options) }));
  rendered.sort(byKey);
  const skipped: SkippedService[] = [];
  let services: RenderedService[] = [];
  const groups = new Map<string, ServiceGroup>();
  for (const { group, result } of rendered) {
    groups.set(group.key, group);
    if (result.ok) services.push(result.service);
    else skipped.push(result.skipped);
  }
  services = dropClashes(services, skipped, 'host');
  services = dropClashes(services, skipped, 'name');
  services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  skipped.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const objects: IstioObject[] = [];
  let instances = 0;
  let published = 0;
  let instancesSkipped = 0;
  for (const s of services) {
    instances += s.instances;
    published += s.published;
    instancesSkipped += s.skippedInstances.length;
    for (const o of s.objects) objects.push(o);
  }
  return { services, skipped, objects, instances, published, instancesSkipped, groups };
}
