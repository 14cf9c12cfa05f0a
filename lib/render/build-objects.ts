// Phase 3 of rendering a service: the Istio objects, each stamped with its content hash.
// This runs once per published instance of the whole registry on every sync, so label
// and port maps are shared between objects (nothing mutates them after this point) and
// the hashed JSON of shared parts is serialised once per service, not once per object.
import {
  ISTIO_API_VERSION,
  type DestinationRule,
  type IstioObject,
  type ServiceEntry,
  type ServicePort,
  type WorkloadEntry,
  type WorkloadEntrySpec,
} from '../model/istio.ts';
import type { MicroServiceInstance } from '../model/registry.ts';
import {
  CONTENT_HASH_ANNOTATION,
  INSTANCE_ID_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  SERVICE_IDS_ANNOTATION,
  SERVICE_KEY_ANNOTATION,
  SERVICE_LABEL,
  SHARD_LABEL,
  SOURCE_LABEL,
} from '../model/ownership.ts';
import { appLabelFor, shardOf, subsetNameFor, versionLabelFor, workloadEntrySuffix } from '../names/service-names.ts';
import { contentHashFromJson, stampContentHash } from './content-hash.ts';
import type { IstioProtocol } from './endpoint.ts';
import { exportToFor, routingExportTo } from './export-to.ts';
import type { PublishedInstance } from './instance-endpoints.ts';
import { INLINE_ENDPOINTS_ADVISED, INLINE_ENDPOINTS_MAX, type RenderOptions } from './options.ts';
import type { ServiceGroup } from './service-group.ts';

/** Istio's schema limit on WorkloadEntry ports (maxProperties). */
const WORKLOAD_ENTRY_PORTS_MAX = 128;

export interface ServiceIdentity {
  name: string;
  host: string;
  /** serviceKeyHash of the group's key */
  keyHash: string;
}

export type BuildResult = { ok: true; objects: IstioObject[] } | { ok: false; reason: string };

const KEY_JSON = JSON.stringify(SERVICE_KEY_ANNOTATION);
const IDS_JSON = JSON.stringify(SERVICE_IDS_ANNOTATION);
const INSTANCE_JSON = JSON.stringify(INSTANCE_ID_ANNOTATION);

interface VersionParts {
  labels: Record<string, string>;
  labelsJson: string;
}

interface PortsParts {
  ports: Record<string, number>;
  json: string;
}

interface Locality {
  value: string;
  json: string;
}

// Port names repeat across the whole registry (a few protocols × a few port numbers);
// one string each also makes them cheap as property keys of every ports map.
const PROTOCOL_INDEX: Record<IstioProtocol, number> = { HTTP: 0, HTTPS: 1, HTTP2: 2, GRPC: 3, TLS: 4, TCP: 5 };
const portNames = new Map<number, string>();

/** `<protocol>-<number>`, lower case. */
export function portNameOf(protocol: IstioProtocol, number: number): string {
  const key = PROTOCOL_INDEX[protocol] * 65536 + number;
  let name = portNames.get(key);
  if (name === undefined) {
    name = `${protocol.toLowerCase()}-${number}`;
    portNames.set(key, name);
  }
  return name;
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] as string;
  return out;
}

/** What the specs of one service's WorkloadEntries are made of, each part made once. */
interface SpecParts {
  portName: ReadonlyMap<number, string>;
  bySignature: Map<string | number, PortsParts>;
  byVersion: ReadonlyMap<string, VersionParts>;
  localityOf: (instance: MicroServiceInstance) => Locality | undefined;
}

/**
 * One WorkloadEntry spec, and with `withJson` its JSON.stringify, assembled from parts
 * serialised once per service. Addresses are IP addresses or DNS names (endpoint.ts
 * checked them), so their JSON is the address in quotes, nothing to escape.
 */
function specOf(p: PublishedInstance, parts: SpecParts, withJson: boolean): { spec: WorkloadEntrySpec; json: string } {
  let ports = parts.bySignature.get(p.signature);
  if (ports === undefined) {
    const map: Record<string, number> = {};
    for (const number of p.ports) map[parts.portName.get(number) as string] = number;
    ports = { ports: map, json: JSON.stringify(map) };
    parts.bySignature.set(p.signature, ports);
  }
  const version = parts.byVersion.get(p.candidate.version) as VersionParts;
  const locality = parts.localityOf(p.candidate.instance);
  // Built whole, in JSON key order, rather than given `locality` afterwards.
  const spec: WorkloadEntrySpec =
    locality === undefined
      ? { address: p.address, ports: ports.ports, labels: version.labels }
      : { address: p.address, ports: ports.ports, labels: version.labels, locality: locality.value };
  if (!withJson) return { spec, json: '' };
  // Key for key the JSON.stringify of `spec`: address, ports, labels, then locality.
  const json =
    locality === undefined
      ? `{"address":"${p.address}","ports":${ports.json},"labels":${version.labelsJson}}`
      : `{"address":"${p.address}","ports":${ports.json},"labels":${version.labelsJson},"locality":${locality.json}}`;
  return { spec, json };
}

function byAddressThenContent(a: WorkloadEntrySpec, b: WorkloadEntrySpec): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  const ja = JSON.stringify(a);
  const jb = JSON.stringify(b);
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

/** `region/zone` from dataCenterInfo, memoised per service: most instances share a few. */
function localityLookup(): (instance: MicroServiceInstance) => Locality | undefined {
  const byRegion = new Map<string, Map<string, Locality>>();
  // Istio reads `/` as the region/zone/subzone separator, so it must not appear inside a part.
  const clean = (s: string): string => (s.includes('/') ? s.replaceAll('/', '-') : s);
  return (instance) => {
    const info = instance.dataCenterInfo;
    if (info === undefined) return undefined;
    const rawRegion = info.region ?? '';
    const rawZone = info.availableZone ?? '';
    let byZone = byRegion.get(rawRegion);
    if (byZone === undefined) {
      byZone = new Map();
      byRegion.set(rawRegion, byZone);
    }
    let locality = byZone.get(rawZone);
    if (locality === undefined) {
      const region = rawRegion.trim();
      const zone = rawZone.trim();
      const value = region === '' ? '' : zone === '' ? clean(region) : `${clean(region)}/${clean(zone)}`;
      locality = { value, json: JSON.stringify(value) };
      byZone.set(rawZone, locality);
    }
    return locality.value === '' ? undefined : locality;
  };
}

export function buildObjects(group: ServiceGroup, id: ServiceIdentity, servicePorts: ReadonlyMap<number, IstioProtocol>, published: readonly PublishedInstance[], options: RenderOptions, warnings: string[]): BuildResult {
  const { name, host } = id;
  const portNumbers = [...servicePorts.keys()].sort((a, b) => a - b);
  const sePorts: ServicePort[] = portNumbers.map((number) => {
    const protocol = servicePorts.get(number) as IstioProtocol;
    return { number, protocol, name: portNameOf(protocol, number) };
  });
  const portName = new Map<number, string>(sePorts.map((p) => [p.number, p.name]));

  const ownerLabels: Record<string, string> = {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [SOURCE_LABEL]: options.source,
    [SERVICE_LABEL]: name,
    [SHARD_LABEL]: String(shardOf(group.parts, id.keyHash)),
    ...sortedRecord(options.extraLabels),
  };
  const ownerLabelsJson = JSON.stringify(ownerLabels);
  const appLabel = appLabelFor(group.parts.serviceName);

  const byVersion = new Map<string, VersionParts>();
  for (const v of group.versions) {
    if (!byVersion.has(v.service.version)) {
      const labels = { [SERVICE_LABEL]: name, app: appLabel, version: versionLabelFor(v.service.version) };
      byVersion.set(v.service.version, { labels, labelsJson: JSON.stringify(labels) });
    }
  }
  // A WorkloadEntry holds at most WORKLOAD_ENTRY_PORTS_MAX ports: the first instance with more skips the service.
  for (const p of published) {
    if (p.ports.length > WORKLOAD_ENTRY_PORTS_MAX) {
      return { ok: false, reason: `instance ${p.candidate.instance.instanceId} has ${p.ports.length} ports; a WorkloadEntry holds at most ${WORKLOAD_ENTRY_PORTS_MAX}` };
    }
  }
  const parts: SpecParts = { portName, bySignature: new Map(), byVersion, localityOf: localityLookup() };
  const entries = options.mode === 'workloadentry';
  const anyHostname = published.some((p) => p.addressKind === 'hostname');
  const serviceEntry: ServiceEntry = {
    apiVersion: ISTIO_API_VERSION,
    kind: 'ServiceEntry',
    metadata: {
      name,
      namespace: options.namespace,
      labels: ownerLabels,
      annotations: { [SERVICE_KEY_ANNOTATION]: group.key, [SERVICE_IDS_ANNOTATION]: group.versions.map((v) => v.service.serviceId).join(',') },
    },
    spec: { hosts: [host], location: options.location, resolution: anyHostname ? 'DNS' : 'STATIC', ports: sePorts },
  };
  const exportTo = exportToFor(options, group.parts);
  if (exportTo !== undefined) serviceEntry.spec.exportTo = [...exportTo];

  const objects: IstioObject[] = [serviceEntry];
  if (options.mode === 'inline') {
    const workloadSpecs = published.map((p) => specOf(p, parts, false).spec);
    if (workloadSpecs.length > INLINE_ENDPOINTS_MAX) {
      return { ok: false, reason: `${workloadSpecs.length} endpoints; inline mode allows at most ${INLINE_ENDPOINTS_MAX} (Istio's cap); use workloadentry mode` };
    }
    if (workloadSpecs.length > INLINE_ENDPOINTS_ADVISED) {
      warnings.push(`${workloadSpecs.length} inline endpoints; Istio advises at most ${INLINE_ENDPOINTS_ADVISED} per ServiceEntry (workloadentry mode scales better)`);
    }
    // Sorted like WorkloadEntries would be, so the object is the same for any listing order.
    serviceEntry.spec.endpoints = workloadSpecs.sort(byAddressThenContent);
  } else {
    serviceEntry.spec.workloadSelector = { labels: { [SERVICE_LABEL]: name } };
  }
  stampContentHash(serviceEntry, ownerLabelsJson);

  // A rule with a single subset routes nothing the ServiceEntry does not, yet costs one
  // more cluster per port in every proxy that sees the host.
  if (options.destinationRules && (options.subsets === 'always' || byVersion.size > 1)) {
    const subsets = [...byVersion.entries()]
      .map(([version, parts]) => ({ name: subsetNameFor(version), labels: { version: parts.labels['version'] as string } }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const rule: DestinationRule = {
      apiVersion: ISTIO_API_VERSION,
      kind: 'DestinationRule',
      metadata: { name, namespace: options.namespace, labels: ownerLabels, annotations: { [SERVICE_KEY_ANNOTATION]: group.key } },
      spec: { host, subsets },
    };
    const ruleExportTo = routingExportTo(exportTo);
    if (ruleExportTo !== undefined) rule.spec.exportTo = [...ruleExportTo];
    stampContentHash(rule, ownerLabelsJson);
    objects.push(rule);
  }

  if (entries) pushWorkloadEntries(objects, { key: group.key, name, labels: ownerLabels, labelsJson: ownerLabelsJson, namespace: options.namespace }, published, parts);
  return { ok: true, objects };
}

/** What every WorkloadEntry of one service shares. */
interface EntryCommon {
  key: string;
  name: string;
  labels: Record<string, string>;
  labelsJson: string;
  namespace: string;
}

/**
 * One WorkloadEntry per published instance, by name, in one pass: spec, its JSON and the
 * content hash are made together, with no per-instance lists in between.
 */
function pushWorkloadEntries(objects: IstioObject[], common: EntryCommon, published: readonly PublishedInstance[], parts: SpecParts): void {
  const { key, name, labels, labelsJson, namespace } = common;
  const n = published.length;
  const annotationsHead = `{${KEY_JSON}:${JSON.stringify(key)},${IDS_JSON}:`;
  const headByServiceId = new Map<string, string>();
  const entries: WorkloadEntry[] = [];
  const suffixes: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = published[i] as PublishedInstance;
    const { candidate } = p;
    const instanceId = candidate.instance.instanceId;
    const suffix = workloadEntrySuffix(instanceId);
    const entryName = `${name}-${suffix}`;
    let head = headByServiceId.get(candidate.serviceId);
    if (head === undefined) {
      head = `${annotationsHead}${JSON.stringify(candidate.serviceId)},${INSTANCE_JSON}:`;
      headByServiceId.set(candidate.serviceId, head);
    }
    const { spec, json } = specOf(p, parts, true);
    // Key for key the JSON.stringify of the annotations below, before the hash is added.
    const annotationsJson = `${head}${JSON.stringify(instanceId)}}`;
    const hash = contentHashFromJson('WorkloadEntry', entryName, labelsJson, annotationsJson, json);
    entries.push({
      apiVersion: ISTIO_API_VERSION,
      kind: 'WorkloadEntry',
      metadata: {
        name: entryName,
        namespace,
        labels,
        // The hash last, where stampContentHash would have added it.
        annotations: { [SERVICE_KEY_ANNOTATION]: key, [SERVICE_IDS_ANNOTATION]: candidate.serviceId, [INSTANCE_ID_ANNOTATION]: instanceId, [CONTENT_HASH_ANNOTATION]: hash },
      },
      spec,
    });
    suffixes.push(suffix);
  }
  // Every name is `<name>-<suffix>`: ordering by suffix is ordering by name.
  for (const i of suffixOrder(suffixes)) objects.push(entries[i] as WorkloadEntry);
}

/**
 * Indices of `suffixes` in ascending order of suffix, ties in index order (a stable sort).
 * Comparing the short suffixes sorts faster than comparing the full names (which share
 * their prefix) and faster, measured, than numeric keys parsed from the hex.
 */
export function suffixOrder(suffixes: readonly string[]): number[] {
  const order: number[] = [];
  for (let i = 0; i < suffixes.length; i++) order.push(i);
  return order.sort((a, b) => {
    const sa = suffixes[a] as string;
    const sb = suffixes[b] as string;
    return sa < sb ? -1 : sa > sb ? 1 : a - b;
  });
}
