// The kinds a deployment lists, writes and prunes follow from its settings: a kind it was
// not told to write is never listed (nor needs RBAC), so an operator who turns
// DestinationRules or governance off grants nothing for them.
import type { IstioKind } from '../model/istio.ts';
import type { GovernanceSettings, Sc2meshConfig } from './schema.ts';

export function managedKinds(config: Pick<Sc2meshConfig, 'render'> & { governance: Pick<GovernanceSettings, 'enabled' | 'rateLimiting'> }): IstioKind[] {
  const kinds: IstioKind[] = ['ServiceEntry', 'WorkloadEntry'];
  // Governance merges its traffic policy into the service's one DestinationRule, writing one when render does not.
  if (config.render.destinationRules || config.governance.enabled) kinds.push('DestinationRule');
  if (config.governance.enabled) kinds.push('VirtualService');
  return kinds;
}
