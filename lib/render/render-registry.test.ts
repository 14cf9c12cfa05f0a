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

  it('renders the other services when one is bad', () => {
    const r = renderRegistry(
      [detail(service({ serviceName: 'good' }), [instance()]), detail(service({ serviceName: 'bad' }), [instance({ endpoints: ['rest://10.0.0.1'] })]), detail(service({ serviceName: 'fine' }), [instance()])],
      options,
    );
    expect(r.services.map((s) => s.display).sort()).toEqual(['shop/fine', 'shop/good']);
    expect(r.skipped.map((s) => s.display)).toEqual(['shop/bad']);
    expect(r.objects).toHaveLength(4);
  });

  it('counts instances and published instances', () => {
    const r = renderRegistry([detail(service(), [instance(), instance({ status: 'DOWN' })])], options);
    expect(r.instances).toBe(2);
    expect(r.published).toBe(1);
  });
});
