// Hosts that someone else already routes. Istio gives one host one VirtualService and one
// DestinationRule in a proxy's view: a second one for the same host, under another name,
// is merged or ignored depending on age and version, so sc2mesh writing one beside a
// team's own would silently change, or lose, that team's routing. A host taken this way
// is reported as a conflict and sc2mesh's object for it is not written, as for an object
// of the same name. Pure: the foreign objects come in (spec unvalidated: they are anyone's).
//
// Only exact hosts claim: a wildcard host is less specific, and Istio routes the exact
// host by the exact object.
import type { IstioKind } from '../model/istio.ts';

export type RoutingKind = Extract<IstioKind, 'VirtualService' | 'DestinationRule'>;
export const ROUTING_KINDS: readonly RoutingKind[] = ['VirtualService', 'DestinationRule'];

export interface ForeignObject {
  kind: IstioKind;
  namespace: string;
  name: string;
  spec: unknown;
}

/** kind → lower-cased host → the foreign object's `namespace/name` */
export type HostClaims = Map<RoutingKind, Map<string, string>>;

function hostsOf(kind: RoutingKind, spec: unknown): string[] {
  if (spec === null || typeof spec !== 'object') return [];
  if (kind === 'DestinationRule') {
    const host = (spec as { host?: unknown }).host;
    return typeof host === 'string' ? [host] : [];
  }
  const hosts = (spec as { hosts?: unknown }).hosts;
  return Array.isArray(hosts) ? hosts.filter((h): h is string => typeof h === 'string') : [];
}

export function hostClaimsOf(foreign: Iterable<ForeignObject>): HostClaims {
  const claims: HostClaims = new Map(ROUTING_KINDS.map((k) => [k, new Map<string, string>()]));
  for (const o of foreign) {
    const byHost = claims.get(o.kind as RoutingKind);
    if (byHost === undefined) continue;
    for (const host of hostsOf(o.kind as RoutingKind, o.spec)) {
      if (host.includes('*')) continue;
      const lower = host.toLowerCase();
      if (!byHost.has(lower)) byHost.set(lower, `${o.namespace}/${o.name}`);
    }
  }
  return claims;
}

/** Why `object` must not be written, or undefined. */
export function claimedHostReason(object: { kind: IstioKind; spec: unknown }, claims: HostClaims): string | undefined {
  const byHost = claims.get(object.kind as RoutingKind);
  if (byHost === undefined || byHost.size === 0) return undefined;
  for (const host of hostsOf(object.kind as RoutingKind, object.spec)) {
    const holder = byHost.get(host.toLowerCase());
    if (holder !== undefined) return `host ${host} is already routed by ${object.kind} ${holder}, which sc2mesh does not own; left unwritten so that its routing stays as its owner made it`;
  }
  return undefined;
}
