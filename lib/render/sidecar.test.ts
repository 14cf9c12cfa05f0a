import { describe, it, expect } from '@jest/globals';
import { renderSidecar, sidecarNameFor, egressHostProblem, type SidecarInput, type SidecarResult } from './sidecar.ts';
import { DEFAULT_RENDER_OPTIONS } from './options.ts';
import { contentHashOf } from './content-hash.ts';
import type { Sidecar } from '../model/istio.ts';
import { CONSUMER_KEY_ANNOTATION, CONSUMER_LABEL, CONTENT_HASH_ANNOTATION, isOwnedBy, SERVICE_LABEL, SHARD_LABEL } from '../model/ownership.ts';
import { objectNameFor } from '../names/service-names.ts';
import { assertValidIstioObjects, loadIstioValidator } from '../istio-validator/index.ts';

const OPTIONS = { source: 'registry-a', extraLabels: { team: 'mesh' }, nameTemplate: DEFAULT_RENDER_OPTIONS.nameTemplate };
const CONSUMER = { environment: 'production', appId: 'shop', serviceName: 'cart' };

function input(fields: Partial<SidecarInput> = {}): SidecarInput {
  return {
    consumer: CONSUMER,
    namespace: 'shop',
    workloadLabels: { app: 'cart' },
    providerHosts: ['sc2mesh/orders.shop.production.servicecomb.internal'],
    alwaysHosts: ['istio-system/*', './*'],
    ...fields,
  };
}

function ok(result: SidecarResult): Sidecar {
  if (!result.ok) throw new Error(result.reason);
  assertValidIstioObjects([result.sidecar]);
  return result.sidecar;
}

function refused(result: SidecarResult): string {
  if (result.ok) throw new Error('expected no Sidecar');
  return result.reason;
}

describe('renderSidecar', () => {
  it('selects the consumer workloads and imports its providers and the always-hosts, sorted', () => {
    const sidecar = ok(renderSidecar(input({ providerHosts: ['sc2mesh/payments.shop.production.servicecomb.internal', 'sc2mesh/orders.shop.production.servicecomb.internal'] }), OPTIONS));
    expect(sidecar.apiVersion).toBe('networking.istio.io/v1');
    expect(sidecar.kind).toBe('Sidecar');
    expect(sidecar.metadata.namespace).toBe('shop');
    expect(sidecar.spec).toEqual({
      workloadSelector: { labels: { app: 'cart' } },
      egress: [{ hosts: ['./*', 'istio-system/*', 'sc2mesh/orders.shop.production.servicecomb.internal', 'sc2mesh/payments.shop.production.servicecomb.internal'] }],
    });
  });

  it('carries the ownership marks, a consumer label and key, and no service label', () => {
    const sidecar = ok(renderSidecar(input(), OPTIONS));
    const { labels, annotations } = sidecar.metadata;
    expect(isOwnedBy(labels, 'registry-a')).toBe(true);
    expect(labels[CONSUMER_LABEL]).toBe(sidecar.metadata.name);
    expect(labels[SERVICE_LABEL]).toBeUndefined();
    expect(labels['team']).toBe('mesh');
    expect(Number(labels[SHARD_LABEL])).toBeGreaterThanOrEqual(0);
    expect(Number(labels[SHARD_LABEL])).toBeLessThan(60);
    expect(annotations[CONSUMER_KEY_ANNOTATION]).toBe('production/shop/cart');
    expect(annotations[CONTENT_HASH_ANNOTATION]).toBe(contentHashOf(sidecar));
  });

  it('is named after the consumer as its ServiceEntry would be: DNS-1123, with the key hash', () => {
    const name = ok(renderSidecar(input(), OPTIONS)).metadata.name;
    expect(name).toBe(objectNameFor(OPTIONS.nameTemplate, CONSUMER));
    expect(name).toMatch(/^cart-shop-production-[0-9a-f]{8}$/);
    // Registry names that sanitise alike still get distinct names; long ones stay a label.
    expect(sidecarNameFor({ ...CONSUMER, serviceName: 'Cart' }, OPTIONS)).not.toBe(sidecarNameFor(CONSUMER, OPTIONS));
    const long = ok(renderSidecar(input({ consumer: { ...CONSUMER, serviceName: `${'Very_Long.Service '.repeat(12)}` } }), OPTIONS));
    expect(long.metadata.name.length).toBeLessThanOrEqual(63);
    expect(long.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(long.metadata.labels[CONSUMER_LABEL]).toBe(long.metadata.name);
  });

  it('is deterministic: host order and duplicates do not change it, and the hash follows the content', () => {
    const a = ok(renderSidecar(input({ providerHosts: ['b/y.example', 'a/x.example', 'b/y.example'], alwaysHosts: ['istio-system/*', 'a/x.example'] }), OPTIONS));
    const b = ok(renderSidecar(input({ providerHosts: ['a/x.example', 'b/y.example'], alwaysHosts: ['istio-system/*'] }), OPTIONS));
    expect(a).toEqual(b);
    expect(a.spec.egress[0]?.hosts).toEqual(['a/x.example', 'b/y.example', 'istio-system/*']);
    const c = ok(renderSidecar(input({ providerHosts: ['a/x.example'], alwaysHosts: ['istio-system/*'] }), OPTIONS));
    expect(c.metadata.annotations[CONTENT_HASH_ANNOTATION]).not.toBe(a.metadata.annotations[CONTENT_HASH_ANNOTATION]);
  });

  it('skips a bad host, naming field and value, and still renders the others', () => {
    const result = renderSidecar(input({ providerHosts: ['orders.example', 'sc2mesh/ok.example', 'Bad_NS/x.example', 'a/foo.*.example'], alwaysHosts: ['istio-system/*', 'x/'] }), OPTIONS);
    expect(ok(result).spec.egress[0]?.hosts).toEqual(['istio-system/*', 'sc2mesh/ok.example']);
    expect(result.skippedHosts.map((s) => s.reason)).toEqual([
      'providerHosts[0] "orders.example" is not of the form namespace/host',
      'providerHosts[2] "Bad_NS/x.example" has namespace "Bad_NS": not "*", ".", "~" or a namespace name',
      'providerHosts[3] "a/foo.*.example" has host "foo.*.example": not a DNS name (a wildcard only as the whole first label)',
      'alwaysHosts[1] "x/" has a host that is empty or longer than 255',
    ]);
  });

  it('reports, never throws, a selector that is missing, empty or not made of labels', () => {
    expect(refused(renderSidecar(input({ workloadLabels: {} }), OPTIONS))).toBe(
      'Sidecar for production/shop/cart: workloadLabels is empty: a Sidecar without a selector would be the namespace default, which sc2mesh never writes',
    );
    expect(refused(renderSidecar(input({ workloadLabels: { app: 'cart*' } }), OPTIONS))).toContain('workloadLabels.app "cart*" is not a label value');
    expect(refused(renderSidecar(input({ workloadLabels: { app: 'x'.repeat(64) } }), OPTIONS))).toContain('is not a label value');
    expect(refused(renderSidecar(input({ workloadLabels: { 'bad key!': 'x' } }), OPTIONS))).toContain('workloadLabels key "bad key!" has a name part');
    expect(refused(renderSidecar(input({ workloadLabels: { 'Example.com/app': 'x' } }), OPTIONS))).toContain('has a prefix that is not a DNS subdomain');
    expect(ok(renderSidecar(input({ workloadLabels: { 'app.kubernetes.io/name': 'cart', version: 'v1' } }), OPTIONS)).spec.workloadSelector.labels).toEqual({ 'app.kubernetes.io/name': 'cart', version: 'v1' });
  });

  it('reports a bad namespace and a Sidecar with no host left', () => {
    expect(refused(renderSidecar(input({ namespace: 'Shop' }), OPTIONS))).toBe('Sidecar for production/shop/cart: namespace "Shop" is not a namespace name (a DNS-1123 label)');
    const none = renderSidecar(input({ providerHosts: ['nope'], alwaysHosts: [] }), OPTIONS);
    expect(refused(none)).toContain('no valid egress host');
    expect(none.skippedHosts).toHaveLength(1);
  });

  it('passes the CRD schema and CEL rules, and the validator rejects a wildcard selector as the API server would', () => {
    ok(renderSidecar(input({ providerHosts: ['*/orders.example', '~/*', 'billing/*.svc.example'] }), OPTIONS));
    const sidecar = ok(renderSidecar(input(), OPTIONS));
    const validator = loadIstioValidator({ quiet: true });
    const bad = { ...sidecar, spec: { ...sidecar.spec, workloadSelector: { labels: { app: '*' } } } };
    const messages = validator.validate(bad).causes.map((c) => c.message);
    expect(messages).toEqual(validator.celEnabled ? [expect.stringContaining('wildcard is not supported in selector')] : []);
  });
});

describe('egressHostProblem', () => {
  it.each(['*/*', './*', '~/*', 'istio-system/*', 'prod/*.example.com', 'prod/Orders.Example.com', '*/foo.example.com'])('accepts %s', (host) => {
    expect(egressHostProblem(host)).toBeUndefined();
  });
  it.each(['*', 'prod', 'prod/', '/foo', 'prod/foo..com', 'prod/-a.com', 'prod/*foo.com', `prod/${'a'.repeat(64)}.com`])('refuses %s', (host) => {
    expect(egressHostProblem(host)).toEqual(expect.any(String));
  });
});
