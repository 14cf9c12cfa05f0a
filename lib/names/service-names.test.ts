import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { hostFor, objectNameFor, serviceKeyOf, parseServiceKey, subsetNameFor, workloadEntryName, checkTemplate } from './service-names.ts';
import { isDnsLabel, isLabelValue, toDnsLabel, toLabelValue } from './sanitize.ts';

const HOST_T = '{service}.{app}.{env}.servicecomb.internal';
const NAME_T = '{service}-{app}-{env}';
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('service names', () => {
  it('keeps readable names and drops an empty environment', () => {
    const parts = { environment: '', appId: 'shop', serviceName: 'orders' };
    expect(hostFor(HOST_T, parts)).toBe('orders.shop.servicecomb.internal');
    expect(objectNameFor(NAME_T, parts)).toMatch(/^orders-shop-[0-9a-f]{8}$/);
    expect(hostFor(HOST_T, { ...parts, environment: 'production' })).toBe('orders.shop.production.servicecomb.internal');
  });

  it('gives distinct names to keys whose readable forms coincide', () => {
    const a = objectNameFor(NAME_T, { environment: '', appId: 'c', serviceName: 'a-b' });
    const b = objectNameFor(NAME_T, { environment: '', appId: 'b-c', serviceName: 'a' });
    expect(a.slice(0, -9)).toBe(b.slice(0, -9));
    expect(a).not.toBe(b);
    const h1 = hostFor(HOST_T, { environment: '', appId: 'shop', serviceName: 'order_service' });
    const h2 = hostFor(HOST_T, { environment: '', appId: 'shop', serviceName: 'order.service' });
    expect(h1).not.toBe(h2);
    expect(h1).toMatch(/^order-service-[0-9a-f]{8}\.shop\./);
  });

  it('folds case in hosts (DNS ignores it) but not in object names', () => {
    const upper = { environment: '', appId: 'shop', serviceName: 'OrderService' };
    const lower = { environment: '', appId: 'shop', serviceName: 'orderservice' };
    expect(hostFor(HOST_T, upper)).toBe(hostFor(HOST_T, lower));
    expect(objectNameFor(NAME_T, upper)).not.toBe(objectNameFor(NAME_T, lower));
  });

  it('cuts a 300-character name to valid lengths, still unique', () => {
    const long = 'x'.repeat(300);
    const a = { environment: 'e'.repeat(300), appId: 'a'.repeat(300), serviceName: long };
    const b = { ...a, serviceName: `${long}y` };
    for (const p of [a, b]) {
      expect(objectNameFor(NAME_T, p).length).toBeLessThanOrEqual(63);
      expect(isDnsLabel(objectNameFor(NAME_T, p))).toBe(true);
      expect(hostFor(HOST_T, p)).toMatch(DNS_SUBDOMAIN);
    }
    expect(hostFor(HOST_T, a)).not.toBe(hostFor(HOST_T, b));
    expect(objectNameFor(NAME_T, a)).not.toBe(objectNameFor(NAME_T, b));
  });

  it('handles non-ASCII and symbol-only names', () => {
    const accent = { environment: '', appId: 'boutique', serviceName: 'café-crème' };
    expect(hostFor(HOST_T, accent)).toMatch(/^cafe-creme-[0-9a-f]{8}\.boutique\./);
    const cjk = { environment: '', appId: '商店', serviceName: '订单' };
    expect(hostFor(HOST_T, cjk)).toMatch(DNS_SUBDOMAIN);
    expect(isDnsLabel(objectNameFor(NAME_T, cjk))).toBe(true);
    expect(objectNameFor(NAME_T, cjk)).not.toBe(objectNameFor(NAME_T, { ...cjk, serviceName: '支付' }));
  });

  it('round-trips service keys, even with separators inside names', () => {
    const parts = { environment: 'prod/eu', appId: 'a%b', serviceName: 'c/d' };
    expect(parseServiceKey(serviceKeyOf(parts))).toEqual(parts);
    expect(() => parseServiceKey('a/b')).toThrow('service key');
  });

  it('maps versions to subset names', () => {
    expect(subsetNameFor('1.2.0')).toBe('v1-2-0');
    expect(isDnsLabel(subsetNameFor('1.0.0-SNAPSHOT'))).toBe(true);
    expect(subsetNameFor('1.0')).not.toBe(subsetNameFor('1-0'));
  });

  it('names WorkloadEntries per instance', () => {
    expect(workloadEntryName('orders-shop-12345678', 'abc')).toMatch(/^orders-shop-12345678-[0-9a-f]{8}$/);
    expect(workloadEntryName('s', 'a')).not.toBe(workloadEntryName('s', 'b'));
  });

  it('rejects unknown template placeholders and hosts that would not be unique', () => {
    expect(() => checkTemplate('hostTemplate', '{service}.{application}', [])).toThrow('unknown placeholder {application}');
    expect(() => checkTemplate('hostTemplate', '{service}.x', ['service', 'app'])).toThrow('must contain {app}');
  });

  it('property: results are valid and depend on the key alone', () => {
    const part = fc.string({ unit: 'binary', maxLength: 80 });
    fc.assert(
      fc.property(part, part, fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }), (environment, appId, serviceName) => {
        const p = { environment, appId, serviceName };
        const host = hostFor(HOST_T, p);
        const name = objectNameFor(NAME_T, p);
        expect(host).toMatch(DNS_SUBDOMAIN);
        for (const label of host.split('.')) expect(label.length).toBeLessThanOrEqual(63);
        expect(isDnsLabel(name)).toBe(true);
        expect(hostFor(HOST_T, { ...p })).toBe(host);
        expect(isLabelValue(toLabelValue(serviceName))).toBe(true);
        expect(isDnsLabel(toDnsLabel(serviceName))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
