// Where a ServiceComb service becomes Istio objects: one ServiceGroup (every version of
// one environment/appId/serviceName) → a ServiceEntry, one WorkloadEntry per published
// instance (or inline endpoints) and optionally a DestinationRule. Pure: no I/O, no clock.
// Three phases, one file each: candidates.ts (one registration per instanceId),
// instance-endpoints.ts (endpoints → ports and published instances), build-objects.ts.
import type { IstioObject } from '../model/istio.ts';
import { hostFor, objectNameFor, serviceKeyHash } from '../names/service-names.ts';
import { collectCandidates } from './candidates.ts';
import { parseInstances, type SkippedInstance } from './instance-endpoints.ts';
import { buildObjects } from './build-objects.ts';
import { ALWAYS_EXCLUDED_SERVICES, type RenderOptions } from './options.ts';
import { displayName, type ServiceGroup } from './service-group.ts';

export type { SkippedInstance } from './instance-endpoints.ts';

/** Istio's schema limit on ServiceEntry ports (maxItems). */
const SERVICE_ENTRY_PORTS_MAX = 256;

export interface RenderedService {
  key: string;
  display: string;
  /** ServiceEntry (and DestinationRule) name */
  name: string;
  host: string;
  /** ServiceEntry first, then the DestinationRule, then WorkloadEntries by name; empty when nothing can be published */
  objects: IstioObject[];
  instances: number;
  published: number;
  /** not published by rule (the registry's own entries, configured exclusions) */
  excluded: boolean;
  warnings: string[];
  /** instances that would be published but have an unusable endpoint, sorted by instanceId; each names every bad endpoint */
  skippedInstances: SkippedInstance[];
}

export interface SkippedService {
  key: string;
  display: string;
  reason: string;
}

export type ServiceRenderResult = { ok: true; service: RenderedService } | { ok: false; skipped: SkippedService };

function skip(group: ServiceGroup, reason: string): ServiceRenderResult {
  return { ok: false, skipped: { key: group.key, display: displayName(group.parts), reason } };
}

/**
 * Renders one service group. A bad instance skips that instance (it is listed in
 * `skippedInstances`); only a service that cannot be rendered as a whole is skipped.
 */
export function renderService(group: ServiceGroup, options: RenderOptions): ServiceRenderResult {
  const keyHash = serviceKeyHash(group.key);
  const name = objectNameFor(options.nameTemplate, group.parts, keyHash);
  const host = hostFor(options.hostTemplate, group.parts);
  const warnings: string[] = [];
  const serviceName = group.parts.serviceName;
  const excluded =
    (ALWAYS_EXCLUDED_SERVICES as readonly string[]).includes(serviceName.toUpperCase()) || options.excludeServices.includes(serviceName);

  const candidates = collectCandidates(group, warnings);
  const rendered: RenderedService = {
    key: group.key,
    display: displayName(group.parts),
    name,
    host,
    objects: [],
    instances: candidates.length,
    published: 0,
    excluded,
    warnings,
    skippedInstances: [],
  };
  if (excluded) return { ok: true, service: rendered };

  const { servicePorts, published, skippedInstances } = parseInstances(candidates, options, warnings);
  rendered.published = published.length;
  rendered.skippedInstances = skippedInstances;
  // Warnings come out in one order whatever the listing order was.
  if (warnings.length > 1) warnings.sort();
  if (servicePorts.size === 0) return { ok: true, service: rendered };
  if (servicePorts.size > SERVICE_ENTRY_PORTS_MAX) {
    return skip(group, `${servicePorts.size} distinct ports; a ServiceEntry holds at most ${SERVICE_ENTRY_PORTS_MAX}`);
  }

  const built = buildObjects(group, { name, host, keyHash }, servicePorts, published, options, warnings);
  if (!built.ok) return skip(group, built.reason);
  rendered.objects = built.objects;
  return { ok: true, service: rendered };
}
