// Governance joined to the render: a service's objects gain its VirtualService and its
// DestinationRule's traffic policy, under the render's ownership marks, valid against the
// CRDs; the service's state hash follows the rules, and no rule means the render unchanged.
import { describe, expect, it } from '@jest/globals';
import { assertValidGovernanceObjects } from '../../test/support/governance-crds.ts';
import { EVERY, group, rule, ruleSet, type RawRule } from '../../test/support/governance-rules.ts';
import { detail, instance, service } from '../../test/support/registry-builders.ts';
import { assertValidIstioObjects } from '../istio-validator/index.ts';
import type { DestinationRule, IstioObject, VirtualService } from '../model/istio.ts';
import { CONTENT_HASH_ANNOTATION, MANAGED_BY_LABEL, SERVICE_KEY_ANNOTATION, SERVICE_LABEL, SOURCE_LABEL } from '../model/ownership.ts';
import { contentHashOf } from '../render/content-hash.ts';
import { desiredHashOf } from '../plan/object-plan.ts';
import { objectHashes } from '../pipeline/desired-state.ts';
import { resolveRenderOptions, type RenderOptions } from '../render/options.ts';
import { renderRegistry } from '../render/render-registry.ts';
import { GOVERNANCE_RULES_ANNOTATION } from './objects.ts';
import { governanceOptionsOf, governRegistry, type GovernanceInput } from './render-governance.ts';

const RULES: RawRule[] = [
  group('api', [{ apiPath: { prefix: '/api' } }]),
  group('every', EVERY),
  rule('retry', 'api', { maxAttempts: 3 }),
  rule('fault-injection', 'every', { type: 'abort', errorCode: 503, percentage: 10 }),
  rule('loadbalance', 'every', { rule: 'Random' }),
];

// Built once: the builders number ids as they go, and the tests compare renders of one registry.
const REGISTRY = build();
const registry = () => [...REGISTRY];

function build() {
  return [
    detail(service({ serviceName: 'orders', environment: 'production', version: '1.0.0' }), [instance({ endpoints: ['rest://10.0.0.1:8080'] })]),
    detail(service({ serviceName: 'payments', environment: 'production', version: '1.0.0' }), [instance({ endpoints: ['highway://10.0.0.2:7070'] })]),
    detail(service({ appId: 'bank', serviceName: 'ledger', environment: 'production', version: '1.0.0' }), [instance({ endpoints: ['rest://10.0.0.3:8080'] })]),
  ];
}

function input(raws: readonly RawRule[], render: RenderOptions, rateLimiting = false): GovernanceInput {
  return { rules: ruleSet(raws), options: governanceOptionsOf(render, { rateLimiting }) };
}

function byKind<K extends IstioObject['kind']>(objects: readonly IstioObject[], kind: K, name: string): Extract<IstioObject, { kind: K }> | undefined {
  return objects.find((o): o is Extract<IstioObject, { kind: K }> => o.kind === kind && o.metadata.name.startsWith(name));
}

describe('governRegistry', () => {
  const options = resolveRenderOptions({ namespace: 'mesh', extraLabels: { team: 'core' } });

  it('adds the provider\'s VirtualService and a DestinationRule with its traffic policy, marked like the render\'s objects', () => {
    const render = renderRegistry(registry(), options);
    const governed = governRegistry(render, input(RULES, options));
    const orders = governed.render.services.find((s) => s.display.includes('orders'));
    const kinds = orders?.objects.map((o) => o.kind);
    expect(kinds?.slice(0, 3)).toEqual(['ServiceEntry', 'DestinationRule', 'VirtualService']);
    const vs = byKind(governed.render.objects, 'VirtualService', 'orders') as VirtualService;
    const dr = byKind(governed.render.objects, 'DestinationRule', 'orders') as DestinationRule;
    const se = byKind(governed.render.objects, 'ServiceEntry', 'orders');
    for (const o of [vs, dr]) {
      expect(o.metadata.name).toBe(se?.metadata.name);
      expect(o.metadata.labels[MANAGED_BY_LABEL]).toBe('sc2mesh');
      expect(o.metadata.labels[SOURCE_LABEL]).toBe(options.source);
      expect(o.metadata.labels[SERVICE_LABEL]).toBe(se?.metadata.name);
      expect(o.metadata.labels['team']).toBe('core');
    }
    expect(vs.spec.http.map((r) => r.retries?.attempts ?? r.fault?.abort?.httpStatus)).toEqual(expect.arrayContaining([3, 503]));
    expect(dr.spec.trafficPolicy).toEqual({ loadBalancer: { simple: 'RANDOM' } });
    expect(vs.metadata.annotations[GOVERNANCE_RULES_ANNOTATION]).toContain('retry/api');
    expect(dr.metadata.annotations[GOVERNANCE_RULES_ANNOTATION]).toBe('loadbalance/every,match-group/every');
    assertValidGovernanceObjects([vs, dr]);
    assertValidIstioObjects(governed.render.objects);
  });

  it('reports every rule for every published provider of the rules\' app, and the rules that govern nothing', () => {
    const elsewhere = rule('retry', 'other', { maxAttempts: 2 }, { id: 'retry-elsewhere', selector: { app: 'nowhere', environment: 'production' } });
    const governed = governRegistry(renderRegistry(registry(), options), input([...RULES, elsewhere], options));
    expect(governed.reports.map((r) => r.service).sort()).toEqual(['production/bank/ledger', 'production/shop/orders', 'production/shop/payments']);
    const payments = governed.reports.find((r) => r.service === 'production/shop/payments');
    // payments has no HTTP port: routes cannot apply, the host-wide load balancer can.
    expect(payments?.rules.find((r) => r.kind === 'retry')?.fit).toBe('not-mapped');
    expect(payments?.rules.find((r) => r.kind === 'loadbalance')?.shaped).toEqual(['DestinationRule']);
    expect(governed.reports.find((r) => r.service === 'production/bank/ledger')?.rules).toEqual([]);
    expect(governed.governingNothing).toEqual([{ kind: 'retry', name: 'other', id: 'retry-elsewhere' }]);
    expect(governed.envoyFilters).toEqual([]);
  });

  it('leaves the render as it was when no rule applies', () => {
    const render = renderRegistry(registry(), options);
    const governed = governRegistry(render, input([], options));
    expect(governed.render.objects).toEqual(render.objects);
  });

  it('changes the service\'s state hash when a rule changes, and only that service\'s', () => {
    const hashes = (raws: readonly RawRule[]) =>
      Object.fromEntries(governRegistry(renderRegistry(registry(), options), input(raws, options)).render.services.map((s) => [s.key, desiredHashOf(objectHashes(s.objects))]));
    const before = hashes(RULES);
    const after = hashes(RULES.map((r) => (r.kind === 'retry' ? { ...r, spec: { maxAttempts: 4 } } : r)));
    expect(after['production/shop/orders']).not.toBe(before['production/shop/orders']);
    expect(after['production/bank/ledger']).toBe(before['production/bank/ledger']);
    // payments has no HTTP port, so the retry shapes nothing of it.
    expect(after['production/shop/payments']).toBe(before['production/shop/payments']);
  });

  it('is the same whatever order the registry and the rules are listed in', () => {
    const a = governRegistry(renderRegistry(registry(), options), input(RULES, options));
    const b = governRegistry(renderRegistry(registry().reverse(), options), input([...RULES].reverse(), options));
    expect(JSON.stringify(b.render.objects)).toBe(JSON.stringify(a.render.objects));
  });

  it('keeps the render\'s subsets in the DestinationRule it merges into', () => {
    const withRules = resolveRenderOptions({ namespace: 'mesh', destinationRules: true, subsets: 'always' });
    const governed = governRegistry(renderRegistry(registry(), withRules), input(RULES, withRules));
    const dr = byKind(governed.render.objects, 'DestinationRule', 'orders') as DestinationRule;
    expect(dr.spec.subsets.map((s) => s.name)).toEqual(['v1-0-0']);
    expect(dr.spec.trafficPolicy).toEqual({ loadBalancer: { simple: 'RANDOM' } });
    expect(governed.render.objects.filter((o) => o.kind === 'DestinationRule' && o.metadata.name === dr.metadata.name)).toHaveLength(1);
  });

  it('builds the local rate-limit EnvoyFilter only when rate limiting is on, as one of the service\'s objects after its VirtualService', () => {
    const limits = [...RULES, rule('rate-limiting', 'api', { rate: 100 })];
    const off = governRegistry(renderRegistry(registry(), options), input(limits, options));
    expect(off.envoyFilters).toEqual([]);
    expect(off.render.objects.some((o) => o.kind === 'EnvoyFilter')).toBe(false);

    const on = governRegistry(renderRegistry(registry(), options), input(limits, options, true));
    const orders = on.render.services.find((s) => s.display.includes('orders'));
    expect(orders?.objects.map((o) => o.kind).slice(0, 4)).toEqual(['ServiceEntry', 'DestinationRule', 'VirtualService', 'EnvoyFilter']);
    const ef = orders?.objects.find((o) => o.kind === 'EnvoyFilter');
    const se = orders?.objects.find((o) => o.kind === 'ServiceEntry');
    // The service's own marks, like its VirtualService, in the rate-limit namespace.
    expect(ef?.metadata).toMatchObject({ name: se?.metadata.name, namespace: 'istio-system' });
    expect(ef?.metadata.labels).toEqual(se?.metadata.labels);
    expect(ef?.metadata.annotations[SERVICE_KEY_ANNOTATION]).toBe('production/shop/orders');
    expect(ef?.metadata.annotations[CONTENT_HASH_ANNOTATION]).toBe(ef === undefined ? undefined : contentHashOf(ef));
    // Once in the flat list, and envoyFilters is that one object.
    expect(on.render.objects.filter((o) => o.kind === 'EnvoyFilter')).toEqual([ef]);
    expect(on.envoyFilters).toEqual([ef]);
    // The service's hash covers it: turning rate limiting on makes orders dirty.
    const hashOfOrders = (g: typeof on) => desiredHashOf(objectHashes(g.render.services.find((s) => s.display.includes('orders'))?.objects ?? []));
    expect(hashOfOrders(on)).not.toBe(hashOfOrders(off));
    assertValidGovernanceObjects(on.envoyFilters);
    assertValidIstioObjects(on.render.objects);
  });

  it('puts the EnvoyFilter in the configured governance.rateLimitNamespace', () => {
    const limits = [...RULES, rule('rate-limiting', 'api', { rate: 100 })];
    const governed = governRegistry(renderRegistry(registry(), options), { rules: ruleSet(limits), options: governanceOptionsOf(options, { rateLimiting: true, rateLimitNamespace: 'mesh-root' }) });
    expect(governed.envoyFilters.map((e) => e.metadata.namespace)).toEqual(['mesh-root']);
    // The service's other objects stay in the render's namespace.
    expect(new Set(governed.render.objects.filter((o) => o.kind !== 'EnvoyFilter').map((o) => o.metadata.namespace))).toEqual(new Set(['mesh']));
  });
});
