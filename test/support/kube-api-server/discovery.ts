// API discovery, so standard clients (kubectl, client-go, client-node) find the resources:
// /version, /api, /apis and the group/version resource list with the verbs served.
import { createHash } from 'node:crypto';
import type { ResourceCatalog } from './resources.ts';
import { GROUP, GROUP_VERSION, SERVED_VERSIONS, typesAt, VERSION } from './resources.ts';

/** The verbs this server implements for each resource (no watch, no deletecollection). */
export const SERVED_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update'] as const;

export function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: '31',
    gitVersion: 'v1.31.0-sc2mesh-test',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.22.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function coreApiVersions(hostPort: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: hostPort }] };
}

/** Core v1 serves namespaces only (read-only): enough for kubectl's discovery and `-n`. */
export function coreResourceList(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [{ name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list'], shortNames: ['ns'] }],
  };
}

function namespaceDoc(name: string): Record<string, unknown> {
  return { kind: 'Namespace', apiVersion: 'v1', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
}

/** Every namespace exists here (writes to any namespace succeed); the list shows the ones in use. */
export function namespaceList(names: Iterable<string>): Record<string, unknown> {
  return { kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [...new Set(names)].sort().map(namespaceDoc) };
}

export function namespaceObject(name: string): Record<string, unknown> {
  return namespaceDoc(name);
}

function apiGroup(): Record<string, unknown> {
  const versions = SERVED_VERSIONS.map((version) => ({ groupVersion: `${GROUP}/${version}`, version }));
  return { name: GROUP, versions, preferredVersion: { groupVersion: GROUP_VERSION, version: VERSION } };
}

export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [apiGroup()] };
}

export function apiGroupDoc(): Record<string, unknown> {
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup() };
}

/** The resources of one version (each kind is served at one: EnvoyFilter v1alpha3, the rest v1). */
export function apiResourceList(catalog: ResourceCatalog, version: string = VERSION): Record<string, unknown> {
  const groupVersion = `${GROUP}/${version}`;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: typesAt(catalog, version).map((rt) => ({
      name: rt.plural,
      singularName: rt.singular,
      namespaced: true,
      kind: rt.kind,
      verbs: [...SERVED_VERBS],
      shortNames: rt.shortNames,
      categories: rt.categories,
      storageVersionHash: createHash('sha256').update(`${groupVersion}/${rt.kind}`).digest('base64').slice(0, 11),
    })),
  };
}
