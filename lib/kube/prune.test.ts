import { describe, expect, it } from '@jest/globals';
import { ISTIO_API_VERSION, type IstioKind, type IstioObject } from '../model/istio.ts';
import type { LiveObject } from '../pipeline/ports.ts';
import { planPrune } from './prune.ts';

const live = (kind: IstioKind, name: string): LiveObject => ({ kind, namespace: 'mesh', name, labels: {}, annotations: {} });
const desired = (name: string): IstioObject => ({
  apiVersion: ISTIO_API_VERSION,
  kind: 'WorkloadEntry',
  metadata: { name, namespace: 'mesh', labels: {}, annotations: {} },
  spec: { address: '10.0.0.1' },
});

describe('planPrune', () => {
  it('deletes owned objects the desired set no longer holds, and only those', () => {
    const owned = [live('WorkloadEntry', 'a'), live('WorkloadEntry', 'b'), live('ServiceEntry', 'a'), live('WorkloadEntry', 'c')];
    const plan = planPrune([desired('a'), desired('c')], owned, { minDeletesToCheck: 0 });
    expect(plan.deletes).toEqual([
      { kind: 'ServiceEntry', namespace: 'mesh', name: 'a' },
      { kind: 'WorkloadEntry', namespace: 'mesh', name: 'b' },
    ]);
    expect(plan.verdict).toEqual({ allowed: true });
  });

  it('refuses a run that would delete more than the allowed share of owned objects', () => {
    const owned = Array.from({ length: 30 }, (_, i) => live('WorkloadEntry', `w${i}`));
    const plan = planPrune([desired('w0')], owned);
    expect(plan.deletes).toHaveLength(29);
    expect(plan.verdict).toEqual({ allowed: false, reason: expect.stringContaining('refusing to delete 29 of 30 owned objects') });
    expect(planPrune([desired('w0')], owned, { force: true }).verdict.allowed).toBe(true);
    expect(planPrune(owned.slice(0, 15).map((o) => desired(o.name)), owned).verdict.allowed).toBe(true);
  });
});
