// Governance joined to the render: a service's object set with its VirtualService, its
// DestinationRule carrying the traffic policy and, with rate limiting on, its EnvoyFilter.
// The sync, the push and `sc2mesh render` all come through here, so they produce the same
// objects for a service (and the same state hash: a rule change makes the service dirty at
// the next sync). Pure: no I/O, no clock.
import type { DestinationRule, IstioObject } from '../model/istio.ts';
import type { RegistryRender } from '../render/render-registry.ts';
import type { RenderOptions } from '../render/options.ts';
import type { RenderedService } from '../render/render-service.ts';
import type { ServiceGroup } from '../render/service-group.ts';
import { governedServiceOf, renderedDestinationRule } from './from-render.ts';
import type { EnvoyFilter } from './istio-types.ts';
import { DEFAULT_RATE_LIMIT_NAMESPACE, mapGovernance, type GovernanceOptions } from './map-rules.ts';
import { withTrafficPolicy } from './objects.ts';
import type { GovernanceReport } from './report.ts';
import type { RuleRef, RuleSet } from './rules.ts';
import { rulesGoverningNothing } from './unused.ts';

/** What governance needs besides the render: the rules, and the settings they are mapped with. */
export interface GovernanceInput {
  rules: RuleSet;
  options: GovernanceOptions;
}

/** Config governance's part in the mapping; rateLimitNamespace absent: the config default. */
export interface RateLimitSettings {
  rateLimiting: boolean;
  rateLimitNamespace?: string;
}

/**
 * The mapping options of a deployment: the render's ownership marks, rate limiting as
 * configured. The EnvoyFilters' namespace must be the one the writer may write them to
 * (writerNamespaces in lib/config/managed-kinds.ts): both come from governance.rateLimitNamespace.
 */
export function governanceOptionsOf(render: Pick<RenderOptions, 'namespace' | 'source' | 'extraLabels'>, settings: RateLimitSettings): GovernanceOptions {
  return {
    namespace: render.namespace,
    source: render.source,
    extraLabels: render.extraLabels,
    rateLimiting: settings.rateLimiting ? { enabled: true, namespace: settings.rateLimitNamespace ?? DEFAULT_RATE_LIMIT_NAMESPACE } : { enabled: false },
  };
}

export interface ServiceGovernance {
  /**
   * The rendered objects with governance's: ServiceEntry, DestinationRule, VirtualService,
   * EnvoyFilter, then WorkloadEntries. The EnvoyFilter (rate limiting on) is in its own
   * namespace (governance.rateLimitNamespace), yet one of the service's objects like the
   * others: same marks, written, hashed and pruned with the service.
   */
  objects: IstioObject[];
  report: GovernanceReport;
}

/** The rendered objects with the DestinationRule replaced (or added after the ServiceEntry), the VirtualService and the EnvoyFilter after it. */
function spliced(objects: readonly IstioObject[], rule: DestinationRule | undefined, virtualService: IstioObject | undefined, envoyFilter: EnvoyFilter | undefined): IstioObject[] {
  const out: IstioObject[] = [];
  const extra = [rule, virtualService, envoyFilter].filter((o): o is IstioObject => o !== undefined);
  let placed = false;
  for (const o of objects) {
    if (o.kind === 'DestinationRule') continue;
    out.push(o);
    if (o.kind === 'ServiceEntry' && !placed) {
      out.push(...extra);
      placed = true;
    }
  }
  return out;
}

/**
 * One rendered service with governance. A service that publishes nothing (excluded, no
 * usable port) gets nothing either: routes for a host no ServiceEntry defines serve nobody.
 */
export function governService(rendered: RenderedService, group: ServiceGroup, input: GovernanceInput): ServiceGovernance {
  if (rendered.objects.length === 0) return { objects: rendered.objects, report: { service: rendered.key, rules: [] } };
  const service = governedServiceOf(rendered, group);
  const result = mapGovernance(service, input.rules, input.options);
  const rule = withTrafficPolicy(renderedDestinationRule(rendered), service, input.options, result.trafficPolicy, result.trafficPolicyRules);
  return { objects: spliced(rendered.objects, rule, result.virtualService, result.envoyFilter), report: result.report };
}

export interface GovernedRegistry {
  /** the render, each service's objects (and the flat list) with governance's */
  render: RegistryRender;
  /** one per rendered service that publishes objects, in the render's order */
  reports: GovernanceReport[];
  /** the EnvoyFilters among render.objects (each once, there too), in the render's order */
  envoyFilters: EnvoyFilter[];
  /** rules no published service's report mentions */
  governingNothing: RuleRef[];
}

export function governRegistry(render: RegistryRender, input: GovernanceInput): GovernedRegistry {
  const reports: GovernanceReport[] = [];
  const envoyFilters: EnvoyFilter[] = [];
  const services: RenderedService[] = [];
  const objects: IstioObject[] = [];
  for (const s of render.services) {
    const group = render.groups.get(s.key);
    if (group === undefined || s.objects.length === 0) {
      services.push(s);
      objects.push(...s.objects);
      continue;
    }
    const governed = governService(s, group, input);
    services.push({ ...s, objects: governed.objects });
    objects.push(...governed.objects);
    reports.push(governed.report);
    for (const o of governed.objects) if (o.kind === 'EnvoyFilter') envoyFilters.push(o);
  }
  return { render: { ...render, services, objects }, reports, envoyFilters, governingNothing: rulesGoverningNothing(input.rules, reports) };
}
