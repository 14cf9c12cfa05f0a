// What a push renders for the services it pushes, with the check the full render makes
// across services: two services may not claim one host, and hosts fold case (DNS does), so
// `shop/Orders` and `shop/orders` clash and the exact-case claimant keeps the host
// (lib/render/render-registry.ts). A push of one service alone does not see the other, so
// it also reads the one service that takes the host from it whenever it exists: the same
// app's service of the all-lower-case name (the exact-case claimant), when that renders to
// the same host. That is at most one key more per pushed key, in the same batch find, never
// a read of the registry as a whole. The pushed services and those rivals are rendered
// together by renderRegistry itself, so the winner, the skip and its reason are the full
// render's own.
//
// Not seen alone (the full render reports them; a push sees them when both are in its batch):
// two names neither of which is all lower case (`Orders`, `ORDERS`: the smaller key wins,
// and the variants are too many to ask for), and apps or environments that differ in case
// (a find reads one app, with a consumer registered in that app: asking another app for a
// rival could register sc2mesh's consumer in an app that does not exist).
import type { IstioObject } from '../model/istio.ts';
import type { ServiceDetail } from '../model/registry.ts';
import { hostFor, parseServiceKey, serviceKeyOf } from '../names/service-names.ts';
import type { RenderOptions } from '../render/options.ts';
import { renderRegistry } from '../render/render-registry.ts';
import { governService, type GovernanceInput } from '../governance/index.ts';
import type { RegistryRead } from './contracts.ts';

export type PushDesired =
  | { objects: IstioObject[]; warnings: string[] }
  /** bad registry data or a host another service holds: what was last published is kept */
  | { skipped: string }
  /** cannot be decided now (a rival unreadable): nothing written, retried */
  | { failed: string };

/** The key of the same app that would take `serviceKey`'s host from it, if there is one. */
export function hostRival(serviceKey: string, hostTemplate: string): string | undefined {
  const parts = parseServiceKey(serviceKey);
  const lower = { ...parts, serviceName: parts.serviceName.toLowerCase() };
  const rival = serviceKeyOf(lower);
  // Only the exact-case claimant wins over every spelling (render-registry.ts's rule).
  if (rival === serviceKey || rival !== rival.toLowerCase()) return undefined;
  // A name that is no plain DNS label gets a hash of its own spelling in the host, so the two stay apart.
  return hostFor(hostTemplate, lower) === hostFor(hostTemplate, parts) ? rival : undefined;
}

/** Every key a push of `serviceKeys` reads: those keys and their host rivals. */
export function keysToRead(serviceKeys: readonly string[], hostTemplate: string): string[] {
  const keys = new Set(serviceKeys);
  for (const key of serviceKeys) {
    const rival = hostRival(key, hostTemplate);
    if (rival !== undefined) keys.add(rival);
  }
  return [...keys].sort();
}

/**
 * Renders each of `serviceKeys` from `read` (which holds their rivals too), with governance
 * as the sync renders it (governService is what governRegistry does per service). A key
 * the read could not answer is the caller's to report; a key with no registration renders
 * to nothing.
 */
export function renderPushed(serviceKeys: readonly string[], read: RegistryRead, options: RenderOptions, governance: GovernanceInput | undefined): Map<string, PushDesired> {
  const details: ServiceDetail[] = [];
  for (const key of keysToRead(serviceKeys, options.hostTemplate)) details.push(...(read.services.get(key) ?? []));
  const rendered = renderRegistry(details, options);
  const services = new Map(rendered.services.map((s) => [s.key, s]));
  const skipped = new Map(rendered.skipped.map((s) => [s.key, s.reason]));

  const out = new Map<string, PushDesired>();
  for (const key of serviceKeys) {
    const rival = hostRival(key, options.hostTemplate);
    const rivalUnreadable = rival === undefined ? undefined : read.unreadable.get(rival);
    const reason = skipped.get(key);
    const service = services.get(key);
    const group = rendered.groups.get(key);
    if (rivalUnreadable !== undefined) {
      out.set(key, { failed: `registry: ${rival} may hold this service's host and could not be read: ${rivalUnreadable}` });
    } else if (reason !== undefined) {
      out.set(key, { skipped: reason });
    } else if (service === undefined || group === undefined) {
      out.set(key, { objects: [], warnings: [] });
    } else {
      const instances = service.skippedInstances.map((s) => `instance ${s.instanceId} not published: ${s.reason}`);
      const objects = governance === undefined ? service.objects : governService(service, group, governance).objects;
      out.set(key, { objects, warnings: [...instances, ...service.warnings] });
    }
  }
  return out;
}
