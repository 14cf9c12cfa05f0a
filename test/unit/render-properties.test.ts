// Property tests over generated registries: thousands of random services.
import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { generateRegistry, seededRandom } from '../support/registry-generator.ts';
import { parseGovernDump } from '../../lib/model/govern-dump.ts';
import { renderRegistry } from '../../lib/render/render-registry.ts';
import { renderService, type RenderedService } from '../../lib/render/render-service.ts';
import { groupFromInstances, partsOf } from '../../lib/render/service-group.ts';
import { contentHashOf } from '../../lib/render/content-hash.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';
import { resolveRenderOptions } from '../../lib/render/options.ts';
import { CONTENT_HASH_ANNOTATION, INSTANCE_ID_ANNOTATION, SERVICE_KEY_ANNOTATION } from '../../lib/model/ownership.ts';
import type { ServiceDetail } from '../../lib/model/registry.ts';
import type { IstioObject } from '../../lib/model/istio.ts';
import { loadIstioValidator } from '../../lib/istio-validator/index.ts';

function shuffle<T>(list: readonly T[], seed: number): T[] {
  const rnd = seededRandom(seed);
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function shuffleDeep(details: readonly ServiceDetail[], seed: number): ServiceDetail[] {
  return shuffle(details, seed).map((d, i) => ({ ...d, ...(d.instances ? { instances: shuffle(d.instances, seed + i) } : {}) }));
}

const validator = loadIstioValidator({ quiet: true });

function expectAllValid(objects: readonly IstioObject[]): void {
  const bad: string[] = [];
  for (const o of objects) {
    const { causes } = validator.validate(o, { strictUnknownFields: true });
    if (causes.length > 0) bad.push(`${o.kind}/${o.metadata.name}: ${causes.map((c) => c.message).join('; ')}`);
  }
  expect(bad).toEqual([]);
}

describe('render properties over generated registries', () => {
  const dump = parseGovernDump(generateRegistry({ services: 1500, instancesPerService: 3, seed: 42 }));

  for (const mode of ['workloadentry', 'inline'] as const) {
    it(`${mode}: every object valid, names and hosts unique, each published instance exactly once`, () => {
      const options = resolveRenderOptions({ mode, destinationRules: true, publishStatuses: ['UP', 'STARTING'] });
      const result = renderRegistry(dump.services, options);
      expect(result.skipped).toEqual([]);
      expectAllValid(result.objects);

      const names = new Set<string>();
      for (const o of result.objects) {
        const id = `${o.kind}/${o.metadata.name}`;
        expect(names.has(id)).toBe(false);
        names.add(id);
      }
      const hosts = result.services.filter((s) => s.objects.length > 0).map((s) => s.host);
      expect(new Set(hosts).size).toBe(hosts.length);

      // Every published (UP/STARTING, with endpoints) instance appears exactly once.
      const expected = new Map<string, string>();
      for (const d of dump.services) {
        for (const i of d.instances ?? []) {
          if ((i.status === 'UP' || i.status === 'STARTING') && (i.endpoints ?? []).length > 0) expected.set(i.instanceId, d.microService.serviceName);
        }
      }
      if (mode === 'workloadentry') {
        const seen = result.objects.filter((o) => o.kind === 'WorkloadEntry').map((o) => o.metadata.annotations[INSTANCE_ID_ANNOTATION] as string);
        expect(seen.length).toBe(expected.size);
        expect(new Set(seen)).toEqual(new Set(expected.keys()));
      } else {
        let endpoints = 0;
        for (const o of result.objects) if (o.kind === 'ServiceEntry') endpoints += o.spec.endpoints?.length ?? 0;
        expect(endpoints).toBe(expected.size);
      }
      expect(result.published).toBe(expected.size);
    });
  }

  it('every content hash is the one contentHashOf computes from the object', () => {
    for (const opts of [{}, { mode: 'inline' as const, destinationRules: true, extraLabels: { team: 'payments' } }]) {
      const result = renderRegistry(dump.services, resolveRenderOptions(opts));
      const wrong = result.objects.filter((o) => o.metadata.annotations[CONTENT_HASH_ANNOTATION] !== contentHashOf(o)).map((o) => o.metadata.name);
      expect(wrong).toEqual([]);
    }
  });

  it('property: a service rendered from its instances alone (groupFromInstances) gives exactly the objects of the dump', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(0.6, 0.9, 2, 5), fc.boolean(), (seed, density, dropVersions) => {
        // Low densities leave some versions without instances, which the batch find never returns.
        const generated = parseGovernDump(generateRegistry({ services: 150, instancesPerService: density, seed }));
        const options = resolveRenderOptions({ destinationRules: true, publishStatuses: ['UP', 'STARTING'] });
        const fromDump = renderRegistry(generated.services, options);
        const versionOf = new Map(generated.services.map((d) => [d.microService.serviceId, d.microService.version]));
        const byKey = new Map<string, { parts: ReturnType<typeof partsOf>; instances: NonNullable<ServiceDetail['instances']> }>();
        for (const d of generated.services) {
          const parts = partsOf(d.microService);
          const key = serviceKeyOf(parts);
          const entry = byKey.get(key) ?? { parts, instances: [] };
          // Some instances carry no version, as older servers answer: versionOf must fill it in.
          for (const [i, inst] of (d.instances ?? []).entries()) entry.instances.push(dropVersions && i % 2 === 0 ? { ...inst, version: undefined } : inst);
          byKey.set(key, entry);
        }
        const rendered = new Map<string, RenderedService>(fromDump.services.map((s) => [s.key, s]));
        expect(byKey.size).toBe(rendered.size);
        for (const [key, { parts, instances }] of byKey) {
          const { group, unversioned } = groupFromInstances(parts, [...instances].reverse(), (id) => versionOf.get(id));
          expect(unversioned).toEqual([]);
          const result = renderService(group, options);
          if (!result.ok) throw new Error(`${key}: ${result.skipped.reason}`);
          expect(result.service.objects).toEqual(rendered.get(key)?.objects);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('output is identical for shuffled input', () => {
    const options = resolveRenderOptions({ destinationRules: true });
    const reference = JSON.stringify(renderRegistry(dump.services, options).objects);
    for (const seed of [1, 2, 3]) expect(JSON.stringify(renderRegistry(shuffleDeep(dump.services, seed), options).objects)).toBe(reference);
  });

  it('property: small random registries with hostile names always render valid, unique objects', () => {
    const name = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 70 }), fc.constantFrom('orders', 'Orders', 'ORDERS', 'order_service', 'order.service', 'a-b', 'x'.repeat(300)));
    const registry = fc.array(
      fc.record({
        app: fc.constantFrom('shop', 'Shop', 'bank', '商店', 'a b'),
        env: fc.constantFrom('', 'production', 'Prod'),
        name,
        version: fc.constantFrom('1.0.0', '1.0', '2.0.0', '0.0.1'),
        ports: fc.array(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 3 }),
        instances: fc.integer({ min: 0, max: 3 }),
      }),
      { maxLength: 25 },
    );
    let n = 0;
    fc.assert(
      fc.property(registry, (entries) => {
        const details: ServiceDetail[] = entries.map((e) => {
          const serviceId = `id${n++}`;
          return {
            microService: { serviceId, appId: e.app, serviceName: e.name, version: e.version, environment: e.env },
            instances: Array.from({ length: e.instances }, (_, k) => ({ instanceId: `${serviceId}-${k}`, status: 'UP' as const, endpoints: e.ports.map((p) => `rest://10.9.${k}.${(n % 250) + 1}:${p}`) })),
          };
        });
        const result = renderRegistry(details, resolveRenderOptions({ destinationRules: true }));
        expectAllValid(result.objects);
        const ids = result.objects.map((o) => `${o.kind}/${o.metadata.name}`);
        expect(new Set(ids).size).toBe(ids.length);
        const hosts = result.services.filter((s) => s.objects.length > 0).map((s) => s.host);
        expect(new Set(hosts).size).toBe(hosts.length);
        // Nothing vanishes without a word: every service key is rendered or skipped.
        const keys = new Set([...result.services.map((s) => s.key), ...result.skipped.map((s) => s.key)]);
        for (const o of result.objects) expect(keys.has(o.metadata.annotations[SERVICE_KEY_ANNOTATION] as string)).toBe(true);
        expect(keys.size).toBe(new Set(details.map((d) => `${encodeURIComponent(d.microService.environment ?? '')}/${encodeURIComponent(d.microService.appId)}/${encodeURIComponent(d.microService.serviceName)}`)).size);
      }),
      { numRuns: 300 },
    );
  });
});
