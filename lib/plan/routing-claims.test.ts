import { describe, it, expect } from '@jest/globals';
import { claimedHostReason, hostClaimsOf } from './routing-claims.ts';

const foreign = [
  { kind: 'VirtualService' as const, namespace: 'sc2mesh', name: 'team-routes', spec: { hosts: ['Orders.Shop.servicecomb.internal', '*.servicecomb.internal'], http: [] } },
  { kind: 'DestinationRule' as const, namespace: 'sc2mesh', name: 'team-tls', spec: { host: 'cart.shop.servicecomb.internal' } },
  // anyone's object: a spec that is not what the CRD says is ignored, not fatal
  { kind: 'VirtualService' as const, namespace: 'sc2mesh', name: 'odd', spec: { hosts: 'not-a-list' } },
  { kind: 'ServiceEntry' as const, namespace: 'sc2mesh', name: 'se', spec: { hosts: ['web.shop.servicecomb.internal'] } },
];

describe('routing claims', () => {
  const claims = hostClaimsOf(foreign);

  it('refuse a VirtualService for a host a foreign one routes, case folded, naming the holder', () => {
    const reason = claimedHostReason({ kind: 'VirtualService', spec: { hosts: ['orders.shop.servicecomb.internal'] } }, claims);
    expect(reason).toContain('host orders.shop.servicecomb.internal is already routed by VirtualService sc2mesh/team-routes');
  });

  it('refuse a DestinationRule for a host a foreign one holds, per kind', () => {
    expect(claimedHostReason({ kind: 'DestinationRule', spec: { host: 'cart.shop.servicecomb.internal' } }, claims)).toContain('DestinationRule sc2mesh/team-tls');
    // a VirtualService for cart is fine: only the DestinationRule is taken
    expect(claimedHostReason({ kind: 'VirtualService', spec: { hosts: ['cart.shop.servicecomb.internal'] } }, claims)).toBeUndefined();
  });

  it('let wildcard hosts, other kinds and unclaimed hosts through', () => {
    expect(claimedHostReason({ kind: 'VirtualService', spec: { hosts: ['pay.bank.servicecomb.internal'] } }, claims)).toBeUndefined();
    expect(claimedHostReason({ kind: 'ServiceEntry', spec: { hosts: ['web.shop.servicecomb.internal'] } }, claims)).toBeUndefined();
    expect(claimedHostReason({ kind: 'VirtualService', spec: { hosts: ['web.shop.servicecomb.internal'] } }, hostClaimsOf([]))).toBeUndefined();
  });
});
