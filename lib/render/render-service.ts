// Where a ServiceComb service becomes Istio objects: one ServiceGroup (every version of
// one environment/appId/serviceName) → a ServiceEntry, one WorkloadEntry per published
// instance (or inline endpoints) and optionally a DestinationRule. Pure: no I/O, no clock.
import type { MicroServiceInstance } from '../model/registry.ts';
import {
  ISTIO_API_VERSION,
  type DestinationRule,
  type IstioObject,
  type ServiceEntry,
  type ServicePort,
  type WorkloadEntry,
  type WorkloadEntrySpec,
} from '../model/istio.ts';
import {
  INSTANCE_ID_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  SERVICE_IDS_ANNOTATION,
  SERVICE_KEY_ANNOTATION,
  SERVICE_LABEL,
  SHARD_LABEL,
  SOURCE_LABEL,
} from '../model/ownership.ts';
import { appLabelFor, hostFor, objectNameFor, shardOf, subsetNameFor, versionLabelFor, workloadEntryName } from '../names/service-names.ts';
import { parseEndpoint, type IstioProtocol, type ParsedEndpoint } from './endpoint.ts';
import { stampContentHash } from './content-hash.ts';
import { ALWAYS_EXCLUDED_SERVICES, INLINE_ENDPOINTS_ADVISED, INLINE_ENDPOINTS_MAX, type RenderOptions } from './options.ts';
import { displayName, type ServiceGroup } from './service-group.ts';

/** Istio's schema limits: ServiceEntry ports (maxItems) and WorkloadEntry ports (maxProperties). */
const SERVICE_ENTRY_PORTS_MAX = 256;
const WORKLOAD_ENTRY_PORTS_MAX = 128;

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
}

export interface SkippedService {
  key: string;
  display: string;
  reason: string;
}

export type ServiceRenderResult = { ok: true; service: RenderedService } | { ok: false; skipped: SkippedService };

interface Candidate {
  instance: MicroServiceInstance;
  serviceId: string;
  version: string;
}

interface PublishedInstance {
  candidate: Candidate;
  address: string;
  addressKind: ParsedEndpoint['addressKind'];
  /** port numbers, in endpoint order */
  ports: number[];
}

function modTime(instance: MicroServiceInstance): number {
  const n = Number(instance.modTimestamp ?? instance.timestamp ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** Deterministic winner between two registrations of one instanceId: newest, then larger serviceId, then endpoints. */
function preferred(a: Candidate, b: Candidate): Candidate {
  const ta = modTime(a.instance);
  const tb = modTime(b.instance);
  if (ta !== tb) return ta > tb ? a : b;
  if (a.serviceId !== b.serviceId) return a.serviceId > b.serviceId ? a : b;
  const ea = (a.instance.endpoints ?? []).join(' ');
  const eb = (b.instance.endpoints ?? []).join(' ');
  return ea >= eb ? a : b;
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] as string;
  return out;
}

function localityOf(instance: MicroServiceInstance): string | undefined {
  const region = instance.dataCenterInfo?.region?.trim() ?? '';
  const zone = instance.dataCenterInfo?.availableZone?.trim() ?? '';
  if (region === '') return undefined;
  // Istio reads `/` as the region/zone/subzone separator, so it must not appear inside a part.
  const clean = (s: string): string => s.replaceAll('/', '-');
  return zone === '' ? clean(region) : `${clean(region)}/${clean(zone)}`;
}

function byAddressThenContent(a: WorkloadEntrySpec, b: WorkloadEntrySpec): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  const ja = JSON.stringify(a);
  const jb = JSON.stringify(b);
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

function skip(group: ServiceGroup, reason: string): ServiceRenderResult {
  return { ok: false, skipped: { key: group.key, display: displayName(group.parts), reason } };
}

/** Renders one service group. Bad registry data skips this service only, with the reason. */
export function renderService(group: ServiceGroup, options: RenderOptions): ServiceRenderResult {
  const display = displayName(group.parts);
  const name = objectNameFor(options.nameTemplate, group.parts);
  const host = hostFor(options.hostTemplate, group.parts);
  const warnings: string[] = [];
  const serviceName = group.parts.serviceName;
  const excluded =
    (ALWAYS_EXCLUDED_SERVICES as readonly string[]).includes(serviceName.toUpperCase()) || options.excludeServices.includes(serviceName);

  // One candidate per instanceId across every version of the service.
  const candidates = new Map<string, Candidate>();
  for (const version of group.versions) {
    for (const instance of version.instances) {
      const candidate: Candidate = { instance, serviceId: version.service.serviceId, version: version.service.version };
      const seen = candidates.get(instance.instanceId);
      if (seen === undefined) {
        candidates.set(instance.instanceId, candidate);
        continue;
      }
      const kept = preferred(seen, candidate);
      candidates.set(instance.instanceId, kept);
      warnings.push(`instance ${instance.instanceId} is listed more than once; kept the registration of service ${kept.serviceId}`);
    }
  }

  const rendered: RenderedService = { key: group.key, display, name, host, objects: [], instances: candidates.size, published: 0, excluded, warnings };
  if (excluded) return { ok: true, service: rendered };

  // Parse endpoints; collect the service's ports from every instance (published or not), so
  // the ServiceEntry stays put while instances flap between UP and DOWN.
  const servicePorts = new Map<number, IstioProtocol>();
  let conflictingPorts: number[] | undefined;
  const published: PublishedInstance[] = [];
  const publish = options.publishStatuses;
  for (const candidate of candidates.values()) {
    const { instance } = candidate;
    const id = instance.instanceId;
    const wanted = publish.includes(instance.status ?? 'UP');
    const endpoints = instance.endpoints ?? [];
    let primary: ParsedEndpoint | undefined;
    const ports: number[] = [];
    const protocols: IstioProtocol[] = [];
    for (const raw of endpoints) {
      const parsed = parseEndpoint(raw);
      if (!parsed.ok) {
        if (wanted) return skip(group, `instance ${id}: ${parsed.reason}`);
        warnings.push(`instance ${id} (not published, status ${instance.status ?? 'UP'}): ${parsed.reason}`);
        continue;
      }
      const ep = parsed.endpoint;
      if (primary === undefined) primary = ep;
      else if (ep.address !== primary.address) {
        warnings.push(`instance ${id}: endpoint ${raw} is on ${ep.address}, not on the instance's first address ${primary.address}; a WorkloadEntry has one address, so it is not published`);
        continue;
      }
      const at = ports.indexOf(ep.port);
      if (at >= 0) {
        if (protocols[at] !== ep.protocol) warnings.push(`instance ${id}: port ${ep.port} is registered as ${protocols[at]} and as ${ep.protocol}; kept ${protocols[at]}`);
        continue;
      }
      ports.push(ep.port);
      protocols.push(ep.protocol);
      const serviceProtocol = servicePorts.get(ep.port);
      if (serviceProtocol === undefined) servicePorts.set(ep.port, ep.protocol);
      else if (serviceProtocol !== ep.protocol) (conflictingPorts ??= []).push(ep.port);
    }
    if (!wanted) continue;
    if (primary === undefined) {
      warnings.push(`instance ${id} has no endpoints; nothing to route to, so it is not published`);
      continue;
    }
    published.push({ candidate, address: primary.address, addressKind: primary.addressKind, ports });
  }
  rendered.published = published.length;

  for (const port of new Set(conflictingPorts)) {
    // Two protocols on one port number: TCP is the one that works for both.
    servicePorts.set(port, 'TCP');
    warnings.push(`port ${port} is registered with different protocols by different instances; published as TCP`);
  }
  // Warnings come out in one order whatever the listing order was.
  if (warnings.length > 1) warnings.sort();
  if (servicePorts.size === 0) return { ok: true, service: rendered };
  if (servicePorts.size > SERVICE_ENTRY_PORTS_MAX) {
    return skip(group, `${servicePorts.size} distinct ports; a ServiceEntry holds at most ${SERVICE_ENTRY_PORTS_MAX}`);
  }

  const portNumbers = [...servicePorts.keys()].sort((a, b) => a - b);
  const sePorts: ServicePort[] = portNumbers.map((number) => {
    const protocol = servicePorts.get(number) as IstioProtocol;
    return { number, protocol, name: `${protocol.toLowerCase()}-${number}` };
  });
  const portName = new Map<number, string>(sePorts.map((p) => [p.number, p.name]));

  const ownerLabels: Record<string, string> = {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [SOURCE_LABEL]: options.source,
    [SERVICE_LABEL]: name,
    [SHARD_LABEL]: String(shardOf(group.parts)),
    ...sortedRecord(options.extraLabels),
  };
  const appLabel = appLabelFor(serviceName);

  // Instances of one version with one port set share their label and port maps: fewer
  // objects on the hot path, and nothing mutates them after this point.
  const labelsByVersion = new Map<string, Record<string, string>>();
  for (const v of group.versions) {
    if (!labelsByVersion.has(v.service.version)) {
      labelsByVersion.set(v.service.version, { [SERVICE_LABEL]: name, app: appLabel, version: versionLabelFor(v.service.version) });
    }
  }
  const portsBySignature = new Map<string, Record<string, number>>();
  const workloadSpecs: WorkloadEntrySpec[] = [];
  for (const p of published) {
    if (p.ports.length > WORKLOAD_ENTRY_PORTS_MAX) {
      return skip(group, `instance ${p.candidate.instance.instanceId} has ${p.ports.length} ports; a WorkloadEntry holds at most ${WORKLOAD_ENTRY_PORTS_MAX}`);
    }
    if (p.ports.length > 1) p.ports.sort((a, b) => a - b);
    const signature = p.ports.length === 1 ? String(p.ports[0]) : p.ports.join(',');
    let ports = portsBySignature.get(signature);
    if (ports === undefined) {
      ports = {};
      for (const number of p.ports) ports[portName.get(number) as string] = number;
      portsBySignature.set(signature, ports);
    }
    const spec: WorkloadEntrySpec = { address: p.address, ports, labels: labelsByVersion.get(p.candidate.version) as Record<string, string> };
    const locality = localityOf(p.candidate.instance);
    if (locality !== undefined) spec.locality = locality;
    workloadSpecs.push(spec);
  }

  const anyHostname = published.some((p) => p.addressKind === 'hostname');
  const serviceIds = group.versions.map((v) => v.service.serviceId).join(',');
  const serviceEntry: ServiceEntry = {
    apiVersion: ISTIO_API_VERSION,
    kind: 'ServiceEntry',
    metadata: {
      name,
      namespace: options.namespace,
      labels: ownerLabels,
      annotations: { [SERVICE_KEY_ANNOTATION]: group.key, [SERVICE_IDS_ANNOTATION]: serviceIds },
    },
    spec: {
      hosts: [host],
      location: options.location,
      resolution: anyHostname ? 'DNS' : 'STATIC',
      ports: sePorts,
    },
  };
  if (options.exportTo !== undefined) serviceEntry.spec.exportTo = [...options.exportTo];

  const objects: IstioObject[] = [serviceEntry];
  if (options.mode === 'inline') {
    if (workloadSpecs.length > INLINE_ENDPOINTS_MAX) {
      return skip(group, `${workloadSpecs.length} endpoints; inline mode allows at most ${INLINE_ENDPOINTS_MAX} (Istio's cap); use workloadentry mode`);
    }
    if (workloadSpecs.length > INLINE_ENDPOINTS_ADVISED) {
      warnings.push(`${workloadSpecs.length} inline endpoints; Istio advises at most ${INLINE_ENDPOINTS_ADVISED} per ServiceEntry (workloadentry mode scales better)`);
    }
    // Sorted like WorkloadEntries would be, so the object is the same for any listing order.
    serviceEntry.spec.endpoints = workloadSpecs.sort(byAddressThenContent);
  } else {
    serviceEntry.spec.workloadSelector = { labels: { [SERVICE_LABEL]: name } };
  }

  if (options.destinationRules) {
    const subsets = [...labelsByVersion.entries()]
      .map(([version, labels]) => ({ name: subsetNameFor(version), labels: { version: labels['version'] as string } }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const rule: DestinationRule = {
      apiVersion: ISTIO_API_VERSION,
      kind: 'DestinationRule',
      metadata: { name, namespace: options.namespace, labels: ownerLabels, annotations: { [SERVICE_KEY_ANNOTATION]: group.key } },
      spec: { host, subsets },
    };
    if (options.exportTo !== undefined) rule.spec.exportTo = [...options.exportTo];
    objects.push(rule);
  }

  if (options.mode === 'workloadentry') {
    const entries: WorkloadEntry[] = published.map(({ candidate }, i) => ({
      apiVersion: ISTIO_API_VERSION,
      kind: 'WorkloadEntry',
      metadata: {
        name: workloadEntryName(name, candidate.instance.instanceId),
        namespace: options.namespace,
        labels: ownerLabels,
        annotations: {
          [SERVICE_KEY_ANNOTATION]: group.key,
          [SERVICE_IDS_ANNOTATION]: candidate.serviceId,
          [INSTANCE_ID_ANNOTATION]: candidate.instance.instanceId,
        },
      },
      spec: workloadSpecs[i] as WorkloadEntrySpec,
    }));
    entries.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
    for (const entry of entries) objects.push(entry);
  }

  const labelsJson = JSON.stringify(ownerLabels);
  for (const object of objects) stampContentHash(object, labelsJson);
  rendered.objects = objects;
  return { ok: true, service: rendered };
}
