// The desired state of every service, as a sync or a resync sees it: one render of the
// whole registry (with governance's objects when its rules are given), with the
// per-service hash that state records after a push.
import type { ServiceDetail } from '../model/registry.ts';
import { keyOfObject, type IstioObject } from '../model/istio.ts';
import type { RenderOptions } from '../render/options.ts';
import { renderRegistry } from '../render/render-registry.ts';
import type { SkippedService } from '../render/render-service.ts';
import { desiredHashOf, hashOf } from '../plan/object-plan.ts';
import { governRegistry, summarizeGovernance, type GovernanceInput, type GovernanceSummary } from '../governance/index.ts';

export interface DesiredService {
  serviceKey: string;
  /** ServiceEntry name: the value of SERVICE_LABEL on every object of the service */
  name: string;
  objects: IstioObject[];
  hash: string;
}

export interface DesiredState {
  services: Map<string, DesiredService>;
  skipped: SkippedService[];
  /** registry records that failed validation are reported by the source; this counts rendered instances */
  instances: number;
  /** every rule's fate, when rendered with governance */
  governance?: GovernanceSummary;
}

export function objectHashes(objects: readonly IstioObject[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of objects) out[keyOfObject(o)] = hashOf(o);
  return out;
}

export function desiredState(details: readonly ServiceDetail[], options: RenderOptions, governance?: GovernanceInput): DesiredState {
  let rendered = renderRegistry(details, options);
  let summary: GovernanceSummary | undefined;
  if (governance !== undefined) {
    const governed = governRegistry(rendered, governance);
    rendered = governed.render;
    summary = summarizeGovernance(governance.rules, governed.reports);
  }
  const services = new Map<string, DesiredService>();
  for (const s of rendered.services) {
    services.set(s.key, { serviceKey: s.key, name: s.name, objects: s.objects, hash: desiredHashOf(objectHashes(s.objects)) });
  }
  const state: DesiredState = { services, skipped: rendered.skipped, instances: rendered.instances };
  if (summary !== undefined) state.governance = summary;
  return state;
}
