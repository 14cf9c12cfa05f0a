// The kinds a deployment lists, writes and prunes, and the namespaces each may be written
// to, follow from its settings: a kind it was not told to write is never listed (nor needs
// RBAC), so an operator who turns DestinationRules, governance or Sidecars off grants
// nothing for them.
import type { IstioKind } from '../model/istio.ts';
import type { GovernanceSettings, Sc2meshConfig, SidecarsSettings } from './schema.ts';

type KindSettings = Pick<Sc2meshConfig, 'render'> & { governance: Pick<GovernanceSettings, 'enabled' | 'rateLimiting'>; sidecars?: Pick<SidecarsSettings, 'enabled'> };

export function managedKinds(config: KindSettings): IstioKind[] {
  const kinds: IstioKind[] = ['ServiceEntry', 'WorkloadEntry'];
  // Governance merges its traffic policy into the service's one DestinationRule, writing one when render does not.
  if (config.render.destinationRules || config.governance.enabled) kinds.push('DestinationRule');
  if (config.governance.enabled) kinds.push('VirtualService');
  if (config.governance.enabled && config.governance.rateLimiting) kinds.push('EnvoyFilter');
  if (config.sidecars?.enabled === true) kinds.push('Sidecar');
  return kinds;
}

/**
 * Kinds written outside render.namespace, and where: rate-limit EnvoyFilters in one
 * namespace, Sidecars beside their consumers. The EnvoyFilters' namespace stays allowed
 * with rate limiting off, so the push can still delete the ones state recorded (the writer
 * never lists or writes a kind outside its kinds).
 */
export function writerNamespaces(config: Pick<Sc2meshConfig, 'governance' | 'sidecars'>): Partial<Record<IstioKind, readonly string[]>> {
  const byKind: Partial<Record<IstioKind, readonly string[]>> = { EnvoyFilter: [config.governance.rateLimitNamespace] };
  if (config.sidecars.enabled) byKind.Sidecar = [...new Set(Object.values(config.sidecars.namespaceByApp))].sort();
  return byKind;
}
