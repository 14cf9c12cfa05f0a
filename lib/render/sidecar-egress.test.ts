import { describe, it, expect } from '@jest/globals';
import { planSidecarEgress, type DependencyRecord } from './sidecar-egress.ts';
import { DEFAULT_RENDER_OPTIONS } from './options.ts';

const render = { ...DEFAULT_RENDER_OPTIONS, namespace: 'sc2mesh', excludeServices: ['sc2mesh-watcher'] };
const settings = { namespaceByApp: { shop: 'shop-mesh', 'prod/bank': 'bank-prod' }, selectorLabel: 'app', alwaysHosts: ['istio-system/*', './*'] };
const svc = (appId: string, serviceName: string, environment = '') => ({ environment, appId, serviceName });

describe('planSidecarEgress', () => {
  it('gives a mapped consumer its providers\' ServiceEntry hosts and the always-hosts, sorted, across its versions', () => {
    const records: DependencyRecord[] = [
      { consumer: svc('shop', 'web'), providers: [svc('shop', 'orders'), svc('shop', 'cart')] },
      // a second version of the same consumer, recorded apart by service-center
      { consumer: svc('shop', 'web'), providers: [svc('shop', 'orders'), svc('pay', 'gateway')] },
    ];
    const plan = planSidecarEgress(records, render, settings);
    expect(plan.skipped).toEqual([]);
    expect(plan.sidecars).toEqual([
      {
        consumer: svc('shop', 'web'),
        namespace: 'shop-mesh',
        selector: { app: 'web' },
        hosts: ['./*', 'istio-system/*', 'sc2mesh/cart.shop.servicecomb.internal', 'sc2mesh/gateway.pay.servicecomb.internal', 'sc2mesh/orders.shop.servicecomb.internal'],
        providers: ['/pay/gateway', '/shop/cart', '/shop/orders'],
      },
    ]);
  });

  it('maps by environment/app before app, and only counts consumers of unmapped apps', () => {
    const plan = planSidecarEgress(
      [
        { consumer: svc('bank', 'teller', 'prod'), providers: [svc('bank', 'ledger', 'prod')] },
        { consumer: svc('bank', 'teller', 'test'), providers: [svc('bank', 'ledger', 'test')] },
        { consumer: svc('media', 'player'), providers: [svc('media', 'catalog')] },
      ],
      render,
      settings,
    );
    expect(plan.sidecars.map((s) => [s.namespace, s.consumer.environment, s.hosts[2]])).toEqual([['bank-prod', 'prod', 'sc2mesh/ledger.bank.prod.servicecomb.internal']]);
    expect(plan.unmapped).toBe(2);
  });

  it('never gives sc2mesh\'s own consumers or the registry a Sidecar, and never lists itself or the registry as a provider', () => {
    const plan = planSidecarEgress(
      [
        { consumer: svc('shop', 'sc2mesh-watcher'), providers: [svc('shop', 'orders')] },
        { consumer: svc('shop', 'web'), providers: [svc('shop', 'web'), svc('default', 'SERVICECENTER'), svc('shop', 'orders')] },
      ],
      render,
      settings,
    );
    expect(plan.sidecars).toHaveLength(1);
    expect(plan.sidecars[0]?.providers).toEqual(['/shop/orders']);
  });

  it('skips, with why, a consumer whose name cannot be a label value and consumers that would select the same pods', () => {
    const plan = planSidecarEgress(
      [
        { consumer: svc('shop', 'x'.repeat(64)), providers: [svc('shop', 'orders')] },
        { consumer: svc('shop', 'api'), providers: [svc('shop', 'orders')] },
        { consumer: svc('shop', 'api', 'prod'), providers: [svc('shop', 'cart', 'prod')] },
      ],
      render,
      settings,
    );
    expect(plan.sidecars).toEqual([]);
    expect(plan.skipped.map((s) => s.consumer).sort()).toEqual(['/shop/api', '/shop/' + 'x'.repeat(64), 'prod/shop/api'].sort());
    expect(plan.skipped.find((s) => s.consumer === 'prod/shop/api')?.reason).toContain('would all select pods labelled app=api in namespace shop-mesh');
    expect(plan.skipped.find((s) => s.consumer.startsWith('/shop/xx'))?.reason).toContain('is not a valid value of label app');
  });

  it('keeps a consumer with no provider left: its Sidecar holds the always-hosts only', () => {
    const plan = planSidecarEgress([{ consumer: svc('shop', 'web'), providers: [] }], render, settings);
    expect(plan.sidecars[0]?.hosts).toEqual(['./*', 'istio-system/*']);
  });
});
