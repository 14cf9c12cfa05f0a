// The objects governance writes: the same ownership marks, names and content hash as the
// render's, the traffic policy merged into the render's DestinationRule, valid against
// the real CRDs, and the same for any listing order.
import { describe, expect, it } from '@jest/globals';
import { assertValidGovernanceObjects, governanceCrdsFound, governanceObjectProblems } from '../../test/support/governance-crds.ts';
import { EVERY, group, map, ORDERS, OPTIONS, RATE_LIMITS_ON, rule, ruleSet, type RawRule } from '../../test/support/governance-rules.ts';
import { detail, group as serviceGroup, instance, service } from '../../test/support/registry-builders.ts';
import type { DestinationRule, ServiceEntry } from '../model/istio.ts';
import { CONTENT_HASH_ANNOTATION, SERVICE_KEY_ANNOTATION } from '../model/ownership.ts';
import { contentHashOf } from '../render/content-hash.ts';
import { resolveRenderOptions } from '../render/options.ts';
import { renderService, type RenderedService } from '../render/render-service.ts';
import type { ServiceGroup } from '../render/service-group.ts';
import type { IstioObject } from '../model/istio.ts';
import { governedServiceOf, renderedDestinationRule } from './from-render.ts';
import { mapGovernance } from './map-rules.ts';
import { GOVERNANCE_RULES_ANNOTATION, withTrafficPolicy } from './objects.ts';

const everything: RawRule[] = [
  group('api', [{ apiPath: { prefix: '/api' }, method: ['GET'] }]),
  group('every', EVERY),
  rule('retry', 'api', { maxAttempts: 2 }),
  rule('time-limiter', 'every', { timeoutDuration: '5s' }),
  rule('rate-limiting', 'api', { rate: 100 }),
  rule('loadbalance', 'every', { rule: 'RoundRobin' }),
  rule('instance-isolation', 'every', { minimumNumberOfCalls: 10 }),
];

function rendered(): { svc: RenderedService; group: ServiceGroup } {
  const g = serviceGroup(
    detail(service({ version: '1.0.0', environment: 'production' }), [instance({ endpoints: ['rest://10.0.0.1:8080'] })]),
    detail(service({ version: '2.0.0', environment: 'production' }), [instance({ endpoints: ['rest://10.0.0.2:8080'] })]),
  );
  const result = renderService(g, resolveRenderOptions({ namespace: 'mesh', destinationRules: true, extraLabels: { team: 'core' }, exportTo: ['.', 'web'] }));
  if (!result.ok) throw new Error(result.skipped.reason);
  return { svc: result.service, group: g };
}

describe('governance objects', () => {
  it('carry the render\'s ownership labels, service key and a content hash computed the same way', () => {
    const { svc, group: g } = rendered();
    const options = { ...OPTIONS, namespace: 'mesh', extraLabels: { team: 'core' }, ...RATE_LIMITS_ON };
    const result = mapGovernance(governedServiceOf(svc, g), ruleSet(everything), options);
    const se = svc.objects[0] as ServiceEntry;
    for (const object of [result.virtualService, result.envoyFilter]) {
      expect(object?.metadata.name).toBe(se.metadata.name);
      expect(object?.metadata.labels).toEqual(se.metadata.labels);
      expect(object?.metadata.annotations[SERVICE_KEY_ANNOTATION]).toBe(svc.key);
      expect(object?.metadata.annotations[CONTENT_HASH_ANNOTATION]).toBe(contentHashOf(object as unknown as IstioObject));
    }
    expect(result.virtualService?.metadata.namespace).toBe('mesh');
    expect(result.virtualService?.spec.exportTo).toEqual(['.', 'web']);
    expect(result.envoyFilter?.metadata.namespace).toBe('istio-system');
    expect(result.virtualService?.metadata.annotations[GOVERNANCE_RULES_ANNOTATION]).toBe('match-group/api,match-group/every,rate-limiting/api,retry/api,time-limiter/every');
    expect(result.envoyFilter?.metadata.annotations[GOVERNANCE_RULES_ANNOTATION]).toBe('match-group/api,rate-limiting/api');
  });

  it('merge the traffic policy into the render\'s DestinationRule: one rule per host, subsets kept, hash renewed', () => {
    const { svc, group: g } = rendered();
    const options = { ...OPTIONS, namespace: 'mesh', extraLabels: { team: 'core' } };
    const governed = governedServiceOf(svc, g);
    const result = mapGovernance(governed, ruleSet(everything), options);
    const before = renderedDestinationRule(svc) as DestinationRule;
    const merged = withTrafficPolicy(before, governed, options, result.trafficPolicy, result.trafficPolicyRules);
    expect(merged?.metadata.name).toBe(before.metadata.name);
    expect(merged?.metadata.labels).toEqual(before.metadata.labels);
    expect(merged?.spec).toEqual({ ...before.spec, trafficPolicy: result.trafficPolicy });
    expect(merged?.spec.subsets.map((s) => s.name)).toEqual(['v1-0-0', 'v2-0-0']);
    expect(merged?.metadata.annotations[GOVERNANCE_RULES_ANNOTATION]).toBe('instance-isolation/every,loadbalance/every,match-group/every');
    expect(merged?.metadata.annotations[CONTENT_HASH_ANNOTATION]).not.toBe(before.metadata.annotations[CONTENT_HASH_ANNOTATION]);
    expect(merged?.metadata.annotations[CONTENT_HASH_ANNOTATION]).toBe(contentHashOf(merged as DestinationRule));
    // The render's object is left as it was.
    expect(before.spec).not.toHaveProperty('trafficPolicy');
    assertValidGovernanceObjects([merged, result.virtualService]);
    // No policy: the rendered rule comes back as it is.
    expect(withTrafficPolicy(before, governed, options, undefined, [])).toBe(before);
  });

  it('write a DestinationRule of the service\'s name when the render wrote none', () => {
    const result = map(everything);
    // A host no namespace may see (`~`) gets the narrowest list a DestinationRule may carry, as the render's.
    const own = withTrafficPolicy(undefined, { ...ORDERS, exportTo: ['~'] }, OPTIONS, result.trafficPolicy, result.trafficPolicyRules);
    expect(own?.metadata.name).toBe(ORDERS.name);
    expect(own?.spec).toEqual({ host: ORDERS.host, subsets: [], exportTo: ['.'], trafficPolicy: result.trafficPolicy });
    expect(own?.metadata.annotations[CONTENT_HASH_ANNOTATION]).toBe(contentHashOf(own as DestinationRule));
    assertValidGovernanceObjects([own]);
  });

  it('are the same whatever order the registry lists the rules in', () => {
    const a = map(everything, RATE_LIMITS_ON);
    const b = map([...everything].reverse(), RATE_LIMITS_ON);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('are checked for real: the CRD checks refuse what an API server refuses', () => {
    const vs = map([group('g', EVERY), rule('time-limiter', 'g', { timeoutDuration: '2s' })]).virtualService;
    expect(governanceObjectProblems(vs)).toEqual([]);
    const ef = map([group('g', EVERY), rule('rate-limiting', 'g', {})], RATE_LIMITS_ON).envoyFilter;
    expect(governanceObjectProblems(ef)).toEqual([]);
    expect(governanceObjectProblems({ ...ef, apiVersion: 'networking.istio.io/v1' })[0]).toBe('apiVersion: must be networking.istio.io/v1alpha3 (got "networking.istio.io/v1")');
    const badContext = { ...ef, spec: { configPatches: [{ ...ef?.spec.configPatches[0], match: { context: 'NOWHERE' } }] } };
    expect(governanceObjectProblems(badContext).join()).toMatch(/context/);
    if (governanceCrdsFound) {
      const unknownField = { ...vs, spec: { ...vs?.spec, colour: 'blue' } };
      expect(governanceObjectProblems(unknownField).join()).toContain('colour');
      // Only a CEL rule forbids a zero timeout.
      const zero = { ...vs, spec: { ...vs?.spec, http: [{ ...vs?.spec.http[0], timeout: '0s' }] } };
      expect(governanceObjectProblems(zero).join()).toContain('must be a valid duration greater than 1ms');
    }
  });

  it('describe the published service from the render\'s output', () => {
    const { svc, group: g } = rendered();
    expect(governedServiceOf(svc, g)).toEqual({
      key: svc.key,
      name: svc.name,
      host: svc.host,
      appId: 'shop',
      environment: 'production',
      serviceName: 'orders',
      versions: ['1.0.0', '2.0.0'],
      ports: [{ number: 8080, protocol: 'HTTP' }],
      exportTo: ['.', 'web'],
    });
  });
});
