import { describe, expect, it } from '@jest/globals';
import type { IstioKind, IstioObject } from '../model/istio.ts';
import { CONTENT_HASH_ANNOTATION, SERVICE_LABEL } from '../model/ownership.ts';
import type { ServiceState } from '../state/state-store.ts';
import { planService } from './service-plan.ts';
import type { LiveObject } from './contracts.ts';

const NS = 'mesh';

function obj(kind: IstioKind, name: string, hash: string, namespace = NS): IstioObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind,
    metadata: { name, namespace, labels: { [SERVICE_LABEL]: 'svc' }, annotations: { [CONTENT_HASH_ANNOTATION]: hash } },
    spec: {},
  } as unknown as IstioObject;
}

function live(kind: IstioKind, name: string, hash: string, generation?: number): LiveObject {
  return { kind, namespace: NS, name, labels: { [SERVICE_LABEL]: 'svc' }, annotations: { [CONTENT_HASH_ANNOTATION]: hash }, ...(generation === undefined ? {} : { generation }) };
}

function state(objects: Record<string, string>): ServiceState {
  return { serviceKey: '/app/svc', objectsHash: 'x', objects, lastPushAt: 0, objectCount: Object.keys(objects).length, version: 1, objectsRef: '', objectsChunks: 0 };
}

const se = obj('ServiceEntry', 'svc', 'h-se');
const we1 = obj('WorkloadEntry', 'svc-a', 'h-1');
const we2 = obj('WorkloadEntry', 'svc-b', 'h-2');
const recorded = { 'ServiceEntry/mesh/svc': 'h-se@1', 'WorkloadEntry/mesh/svc-a': 'h-1@1', 'WorkloadEntry/mesh/svc-b': 'h-2@1' };

describe('planService', () => {
  it('plans nothing when state and cluster both hold the render', () => {
    const plan = planService([se, we1, we2], state(recorded), [live('ServiceEntry', 'svc', 'h-se', 1), live('WorkloadEntry', 'svc-a', 'h-1', 1), live('WorkloadEntry', 'svc-b', 'h-2', 1)]);
    expect(plan).toMatchObject({ apply: [], delete: [], unchanged: 3, creates: 0, drifted: 0 });
  });

  it('applies again an object state remembers but the cluster lost (deleted by hand)', () => {
    const plan = planService([se, we1, we2], state(recorded), [live('WorkloadEntry', 'svc-a', 'h-1', 1), live('WorkloadEntry', 'svc-b', 'h-2', 1)]);
    expect(plan.apply.map((o) => o.metadata.name)).toEqual(['svc']);
    expect(plan.drifted).toBe(1);
    // the ServiceEntry was ours before: no conflict probe needed
    expect(plan.serviceEntryFirst).toBe(false);
  });

  it('applies again an object whose spec was edited by hand (generation moved)', () => {
    const plan = planService([se, we1], state({ 'ServiceEntry/mesh/svc': 'h-se@1', 'WorkloadEntry/mesh/svc-a': 'h-1@1' }), [
      live('ServiceEntry', 'svc', 'h-se', 1),
      live('WorkloadEntry', 'svc-a', 'h-1', 2),
    ]);
    expect(plan.apply.map((o) => o.metadata.name)).toEqual(['svc-a']);
    expect(plan.drifted).toBe(1);
  });

  it('trusts state alone when the cluster was not looked at', () => {
    const plan = planService([se, we1, we2], state(recorded), undefined);
    expect(plan.apply).toEqual([]);
  });

  it('deletes an owned object of the service that neither state nor the render knows', () => {
    const plan = planService([se], state({ 'ServiceEntry/mesh/svc': 'h-se@1' }), [live('ServiceEntry', 'svc', 'h-se', 1), live('WorkloadEntry', 'svc-z', 'h-z', 1)]);
    expect(plan.delete).toEqual([{ kind: 'WorkloadEntry', namespace: NS, name: 'svc-z' }]);
    expect(plan.allowedDeletes).toBe(1);
  });

  it('does not delete what the cluster no longer holds, and forgets it', () => {
    const plan = planService([se], state(recorded), [live('ServiceEntry', 'svc', 'h-se', 1), live('WorkloadEntry', 'svc-a', 'h-1', 1)]);
    expect(plan.delete.map((r) => r.name)).toEqual(['svc-a']);
    expect(Object.keys(plan.deleteEntries)).toEqual(['WorkloadEntry/mesh/svc-a']);
  });

  it('adopts a live object already equal to the render, without a write (state lost)', () => {
    const plan = planService([se, we1], undefined, [live('ServiceEntry', 'svc', 'h-se', 3), live('WorkloadEntry', 'svc-a', 'h-old', 3)]);
    expect(plan.apply.map((o) => o.metadata.name)).toEqual(['svc-a']);
    expect(plan.keep).toEqual({ 'ServiceEntry/mesh/svc': 'h-se@3' });
  });

  it('counts replaced instances as creations that offset their deletions', () => {
    const newWe = obj('WorkloadEntry', 'svc-c', 'h-3');
    const plan = planService([se, newWe], state(recorded), [live('ServiceEntry', 'svc', 'h-se', 1), live('WorkloadEntry', 'svc-a', 'h-1', 1), live('WorkloadEntry', 'svc-b', 'h-2', 1)]);
    expect(plan.creates).toBe(1);
    expect(plan.delete).toHaveLength(2);
  });

  describe('objects of kinds the cluster does not list (a feature turned off)', () => {
    const filter = obj('EnvoyFilter', 'svc', 'h-ef', 'istio-system');
    const withFilter = { 'ServiceEntry/mesh/svc': 'h-se@1', 'EnvoyFilter/istio-system/svc': 'h-ef@1' };
    const liveSe = [live('ServiceEntry', 'svc', 'h-se', 1)];

    it('deletes one state recorded, by state\'s word, instead of taking it for gone', () => {
      const plan = planService([se], state(withFilter), liveSe, ['ServiceEntry', 'WorkloadEntry']);
      expect(plan.delete).toEqual([{ kind: 'EnvoyFilter', namespace: 'istio-system', name: 'svc' }]);
      expect(plan.deleteEntries).toEqual({ 'EnvoyFilter/istio-system/svc': 'h-ef@1' });
      // Not drift: the cluster never showed it.
      expect(plan.drifted).toBe(0);
    });

    it('forgets one of a listed kind that the cluster no longer holds, as before', () => {
      const plan = planService([se], state(withFilter), liveSe, ['ServiceEntry', 'WorkloadEntry', 'EnvoyFilter']);
      expect(plan.delete).toEqual([]);
      expect(plan.keep).toEqual({ 'ServiceEntry/mesh/svc': 'h-se@1' });
    });

    it('keeps a desired one of an unlisted kind as state recorded it (nothing to compare it with)', () => {
      const plan = planService([se, filter], state(withFilter), liveSe, ['ServiceEntry']);
      expect(plan.apply).toEqual([]);
      expect(plan.keep).toEqual(withFilter);
    });
  });

  it('writes a ServiceEntry that is new to us first, so a foreign one can stop the rest', () => {
    const plan = planService([we1, se], undefined, []);
    expect(plan.serviceEntryFirst).toBe(true);
    expect(plan.apply.map((o) => o.kind)).toEqual(['ServiceEntry', 'WorkloadEntry']);
  });
});
