// The footprint rules of the render: exportTo per ServiceComb app on every object that
// carries one, and a DestinationRule only where there are versions to route between.
// Every object is checked against the real Istio CRDs (schema and CEL).
import { describe, it, expect } from '@jest/globals';
import { renderRegistry } from './render-registry.ts';
import { resolveRenderOptions, type RenderOptionsInput } from './options.ts';
import type { DestinationRule, IstioObject } from '../model/istio.ts';
import { CONTENT_HASH_ANNOTATION, SERVICE_KEY_ANNOTATION } from '../model/ownership.ts';
import type { ServiceDetail } from '../model/registry.ts';
import { planObjects } from '../plan/object-plan.ts';
import { detail, instance, service } from '../../test/support/registry-builders.ts';
import { assertValidIstioObjects } from '../istio-validator/index.ts';

function render(details: readonly ServiceDetail[], input: RenderOptionsInput) {
  const result = renderRegistry(details, resolveRenderOptions(input));
  expect(result.skipped).toEqual([]);
  assertValidIstioObjects(result.objects);
  return result;
}

/** exportTo of every object by kind/service key; WorkloadEntries have none (their ServiceEntry decides). */
function exportToByObject(objects: readonly IstioObject[]): Record<string, string[] | undefined> {
  const out: Record<string, string[] | undefined> = {};
  for (const o of objects) {
    if (o.kind === 'WorkloadEntry') {
      expect(o.spec).not.toHaveProperty('exportTo');
      continue;
    }
    out[`${o.kind} ${o.metadata.annotations[SERVICE_KEY_ANNOTATION] ?? ''}`] = 'exportTo' in o.spec ? o.spec.exportTo : undefined;
  }
  return out;
}

const twoVersions = (fields: Parameters<typeof service>[0]): ServiceDetail[] => [
  detail(service({ ...fields, version: '1.0.0' }), [instance(), instance()]),
  detail(service({ ...fields, version: '2.0.0' }), [instance()]),
];

describe('exportTo per app', () => {
  const registry = [
    ...twoVersions({ appId: 'shop', serviceName: 'orders', environment: 'production' }),
    ...twoVersions({ appId: 'shop', serviceName: 'orders', environment: 'testing' }),
    ...twoVersions({ appId: 'shop', serviceName: 'cart' }),
    ...twoVersions({ appId: 'bank', serviceName: 'ledger' }),
    ...twoVersions({ appId: 'vault', serviceName: 'keys' }),
    ...twoVersions({ appId: 'crm', serviceName: 'leads' }),
  ];
  const byApp = { shop: ['shop-web', 'istio-system'], 'production/shop': ['shop-prod'], bank: ['.'], vault: ['~'] };

  for (const mode of ['workloadentry', 'inline'] as const) {
    it(`${mode}: sets each app's list on the ServiceEntry and DestinationRule, environment/app first, the global default for the rest`, () => {
      const r = render(registry, { mode, destinationRules: true, exportTo: ['istio-system'], exportToByApp: byApp });
      expect(exportToByObject(r.objects)).toEqual({
        'ServiceEntry production/shop/orders': ['shop-prod'],
        'DestinationRule production/shop/orders': ['shop-prod'],
        'ServiceEntry testing/shop/orders': ['shop-web', 'istio-system'],
        'DestinationRule testing/shop/orders': ['shop-web', 'istio-system'],
        'ServiceEntry /shop/cart': ['shop-web', 'istio-system'],
        'DestinationRule /shop/cart': ['shop-web', 'istio-system'],
        'ServiceEntry /bank/ledger': ['.'],
        'DestinationRule /bank/ledger': ['.'],
        // Istio accepts "~" on a ServiceEntry only
        'ServiceEntry /vault/keys': ['~'],
        'DestinationRule /vault/keys': ['.'],
        'ServiceEntry /crm/leads': ['istio-system'],
        'DestinationRule /crm/leads': ['istio-system'],
      });
    });
  }

  it('leaves exportTo unset for apps not in the map when there is no global default', () => {
    const r = render(registry, { destinationRules: true, exportToByApp: { bank: ['.'] } });
    const seen = exportToByObject(r.objects);
    expect(seen['ServiceEntry /bank/ledger']).toEqual(['.']);
    expect(seen['ServiceEntry /crm/leads']).toBeUndefined();
    expect(seen['DestinationRule /crm/leads']).toBeUndefined();
    expect(r.objects.filter((o) => o.kind === 'ServiceEntry' && 'exportTo' in o.spec).map((o) => o.metadata.annotations[SERVICE_KEY_ANNOTATION])).toEqual(['/bank/ledger']);
  });

  it('changes the content hash of exactly the objects whose exportTo changed, so the next push re-applies them', () => {
    const before = render(registry, { destinationRules: true, exportToByApp: { shop: ['shop-web'] } });
    const after = render(registry, { destinationRules: true, exportToByApp: { shop: ['shop-web', 'shop-api'] } });
    const applied = planObjects(before.objects, undefined).next;
    const plan = planObjects(after.objects, applied);
    const reapplied = plan.apply.map((o) => `${o.kind} ${o.metadata.annotations[SERVICE_KEY_ANNOTATION] ?? ''}`).sort();
    expect(reapplied).toEqual(['DestinationRule /shop/cart', 'DestinationRule production/shop/orders', 'DestinationRule testing/shop/orders', 'ServiceEntry /shop/cart', 'ServiceEntry production/shop/orders', 'ServiceEntry testing/shop/orders']);
    expect(plan.delete).toEqual([]);
    for (const o of plan.apply) expect(o.spec).toHaveProperty('exportTo', ['shop-web', 'shop-api']);
    const hashOf = (objects: readonly IstioObject[], kind: string, key: string) =>
      objects.find((o) => o.kind === kind && o.metadata.annotations[SERVICE_KEY_ANNOTATION] === key)?.metadata.annotations[CONTENT_HASH_ANNOTATION];
    expect(hashOf(after.objects, 'ServiceEntry', '/shop/cart')).not.toBe(hashOf(before.objects, 'ServiceEntry', '/shop/cart'));
    expect(hashOf(after.objects, 'ServiceEntry', '/bank/ledger')).toBe(hashOf(before.objects, 'ServiceEntry', '/bank/ledger'));
  });

  it('refuses a bad list naming the app, the entry and the value', () => {
    expect(() => resolveRenderOptions({ exportToByApp: { shop: ['shop-web', '*'] } })).toThrow('render.exportToByApp.shop[1]: "*" (every namespace) cannot be combined with other values (got "*")');
    expect(() => resolveRenderOptions({ exportToByApp: { 'a/b/c': ['x'] } })).toThrow('render.exportToByApp.a/b/c: must be "app" or "environment/app"');
    expect(() => resolveRenderOptions({ namespace: 'mesh', exportToByApp: { shop: ['mesh', '.'] } })).toThrow('render.exportToByApp.shop[1]: repeats entry 0 ("." is the objects\' own namespace, "mesh")');
    expect(() => resolveRenderOptions({ exportToByApp: { shop: [] } })).toThrow('render.exportToByApp.shop: needs at least one namespace');
  });
});

describe('subsets only where they serve', () => {
  const rules = (objects: readonly IstioObject[]): Record<string, string[]> =>
    Object.fromEntries(
      objects.filter((o): o is DestinationRule => o.kind === 'DestinationRule').map((o) => [o.metadata.annotations[SERVICE_KEY_ANNOTATION] ?? '', o.spec.subsets.map((s) => s.name)]),
    );
  const registry = [
    ...twoVersions({ serviceName: 'multi' }),
    detail(service({ serviceName: 'single', version: '1.0.0' }), [instance(), instance()]),
    // a second version registered without instances is no version to route to
    detail(service({ serviceName: 'idle', version: '1.0.0' }), [instance()]),
    detail(service({ serviceName: 'idle', version: '2.0.0' }), []),
    // instances that are not published still make a version (the rule stays put while they flap)
    detail(service({ serviceName: 'flapping', version: '1.0.0' }), [instance()]),
    detail(service({ serviceName: 'flapping', version: '2.0.0' }), [instance({ status: 'DOWN' })]),
  ];

  it('by default emits a DestinationRule only for a service with more than one version with instances', () => {
    expect(rules(render(registry, { destinationRules: true }).objects)).toEqual({ '/shop/multi': ['v1-0-0', 'v2-0-0'], '/shop/flapping': ['v1-0-0', 'v2-0-0'] });
    expect(rules(render(registry, { destinationRules: true, subsets: 'multi-version' }).objects)).toEqual(rules(render(registry, { destinationRules: true }).objects));
  });

  it('emits one for every service with subsets: always', () => {
    expect(rules(render(registry, { destinationRules: true, subsets: 'always' }).objects)).toEqual({
      '/shop/multi': ['v1-0-0', 'v2-0-0'],
      '/shop/single': ['v1-0-0'],
      '/shop/idle': ['v1-0-0'],
      '/shop/flapping': ['v1-0-0', 'v2-0-0'],
    });
  });

  it('emits none without destinationRules, whatever subsets says', () => {
    expect(rules(render(registry, { subsets: 'always' }).objects)).toEqual({});
  });

  it('refuses an unknown mode, naming it', () => {
    expect(() => resolveRenderOptions({ subsets: 'sometimes' })).toThrow(/render\.subsets: .*"sometimes"/);
  });

  it('prunes the DestinationRule of a service that drops to one version (with its WorkloadEntries)', () => {
    const v1 = service({ serviceName: 'orders', version: '1.0.0' });
    const v2 = service({ serviceName: 'orders', version: '2.0.0' });
    const i1 = instance();
    const i2 = instance();
    const both = render([detail(v1, [i1]), detail(v2, [i2])], { destinationRules: true });
    const rule = both.objects.find((o) => o.kind === 'DestinationRule');
    expect(rule).toBeDefined();
    const applied = planObjects(both.objects, undefined).next;

    const one = render([detail(v1, [i1]), detail(v2, [])], { destinationRules: true });
    expect(one.objects.some((o) => o.kind === 'DestinationRule')).toBe(false);
    const plan = planObjects(one.objects, applied);
    expect(plan.delete.map((r) => r.kind).sort()).toEqual(['DestinationRule', 'WorkloadEntry']);
    expect(plan.delete).toContainEqual({ kind: 'DestinationRule', namespace: rule?.metadata.namespace, name: rule?.metadata.name });
    // the ServiceEntry stays (its serviceIds annotation loses v2)
    expect(plan.apply.map((o) => o.kind)).toEqual(['ServiceEntry']);

    // and comes back with the second version
    const again = planObjects(both.objects, plan.next);
    expect(again.apply.map((o) => o.kind).sort()).toEqual(['DestinationRule', 'ServiceEntry', 'WorkloadEntry']);
  });
});
