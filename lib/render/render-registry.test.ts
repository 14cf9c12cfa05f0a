import { describe, it, expect } from '@jest/globals';
import { renderRegistry } from './render-registry.ts';
import { resolveRenderOptions } from './options.ts';
import { detail, instance, service } from '../../test/support/registry-builders.ts';
import { assertValidIstioObjects } from '../istio-validator/index.ts';

const options = resolveRenderOptions();

describe('renderRegistry', () => {
  it('reports a host clash between services whose names differ only in case, keeping the lower-case one', () => {
    const r = renderRegistry([detail(service({ serviceName: 'Orders' }), [instance()]), detail(service({ serviceName: 'orders' }), [instance()])], options);
    expect(r.services.map((s) => s.display)).toEqual(['shop/orders']);
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]?.display).toBe('shop/Orders');
    expect(r.skipped[0]?.reason).toBe('host orders.shop.servicecomb.internal is already taken by shop/orders');
    assertValidIstioObjects(r.objects);
  });

  it('renders the other services when one cannot be rendered at all', () => {
    const ports = (host: string) => Array.from({ length: 129 }, (_, i) => `rest://${host}:${10000 + i}`);
    const r = renderRegistry(
      [
        detail(service({ serviceName: 'good' }), [instance()]),
        detail(service({ serviceName: 'bad' }), [instance({ endpoints: ports('10.0.0.1') }), instance({ endpoints: ports('10.0.0.2').map((e) => e.replace(':1', ':2')) })]),
        detail(service({ serviceName: 'fine' }), [instance()]),
      ],
      options,
    );
    expect(r.services.map((s) => s.display).sort()).toEqual(['shop/fine', 'shop/good']);
    expect(r.skipped.map((s) => s.display)).toEqual(['shop/bad']);
    expect(r.objects).toHaveLength(4);
  });

  it('publishes the good instances of a service with a bad one, and counts the bad ones', () => {
    const r = renderRegistry(
      [
        detail(service({ serviceName: 'mixed' }), [instance({ instanceId: 'ok-1' }), instance({ instanceId: 'bad-1', endpoints: ['rest://10.0.0.1'] })]),
        detail(service({ serviceName: 'worse' }), [instance({ instanceId: 'bad-2', endpoints: ['rest://0.0.0.0:80'] }), instance({ instanceId: 'bad-3', endpoints: ['x'] })]),
      ],
      options,
    );
    expect(r.skipped).toEqual([]);
    expect(r.instancesSkipped).toBe(3);
    expect(r.published).toBe(1);
    const mixed = r.services.find((s) => s.display === 'shop/mixed');
    expect(mixed?.objects.map((o) => o.kind)).toEqual(['ServiceEntry', 'WorkloadEntry']);
    expect(mixed?.skippedInstances.map((i) => i.instanceId)).toEqual(['bad-1']);
    expect(r.services.find((s) => s.display === 'shop/worse')?.skippedInstances.map((i) => i.instanceId)).toEqual(['bad-2', 'bad-3']);
  });

  it('counts instances and published instances', () => {
    const r = renderRegistry([detail(service(), [instance(), instance({ status: 'DOWN' })])], options);
    expect(r.instances).toBe(2);
    expect(r.published).toBe(1);
  });
});
