// The networking.istio.io resources the test API server serves, with the structural
// schema the server needs beside validation: which fields to prune and which lists merge
// by key under server-side apply. The schema is the real CRD's (read from ../shared by
// the istio-validator's loader); without it, the typed models' skeleton. Each kind is
// served at the one version sc2mesh writes it (RESOURCES: EnvoyFilter v1alpha3, the rest
// v1); a real cluster serves most of them at v1alpha3 and v1beta1 too, which no client of
// this server asks for.
import { ISTIO_GROUP, RESOURCES, type IstioKind } from '../../../lib/model/istio.ts';
import { loadCrdSchemas, resolveSharedDir } from '../../../lib/istio-validator/crd-files.ts';
import { kubernetesModelsSkeleton } from '../../../lib/istio-validator/kubernetes-models-fields.ts';
import { buildSchemaNode, type SchemaNode } from '../../../lib/istio-validator/structural-schema.ts';

export type { SchemaNode };

export const GROUP = ISTIO_GROUP;
/** The group's preferred version. */
export const VERSION = 'v1';
export const GROUP_VERSION = `${GROUP}/${VERSION}`;
/** Every version some kind is served at, preferred first. */
export const SERVED_VERSIONS: readonly string[] = ['v1', 'v1alpha3'];

export interface ResourceType {
  group: string;
  version: string;
  /** `group/version`: the apiVersion of its objects */
  groupVersion: string;
  kind: IstioKind;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  /** the openAPIV3Schema root of its version, as a structural skeleton */
  schema: SchemaNode;
}

// As the Istio CRDs name them (Sidecar and EnvoyFilter have no short names).
const NAMES: Record<IstioKind, { singular: string; shortNames: string[] }> = {
  ServiceEntry: { singular: 'serviceentry', shortNames: ['se'] },
  WorkloadEntry: { singular: 'workloadentry', shortNames: ['we'] },
  DestinationRule: { singular: 'destinationrule', shortNames: ['dr'] },
  VirtualService: { singular: 'virtualservice', shortNames: ['vs'] },
  Sidecar: { singular: 'sidecar', shortNames: [] },
  EnvoyFilter: { singular: 'envoyfilter', shortNames: [] },
};

export const SERVED_KINDS: readonly IstioKind[] = ['ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService', 'Sidecar', 'EnvoyFilter'];

export interface ResourceCatalog {
  /** plurals are unique across versions here, so a plural names one resource */
  byPlural: ReadonlyMap<string, ResourceType>;
  byKind: ReadonlyMap<IstioKind, ResourceType>;
  /** whether the schemas came from the real CRD files */
  fromCrds: boolean;
}

const catalogs = new Map<string, ResourceCatalog>();

/** The resources served at one version. */
export function typesAt(catalog: ResourceCatalog, version: string): ResourceType[] {
  return [...catalog.byPlural.values()].filter((t) => t.version === version);
}

export function loadResourceCatalog(sharedDir?: string): ResourceCatalog {
  const dir = resolveSharedDir(sharedDir);
  const cached = catalogs.get(dir);
  if (cached !== undefined) return cached;
  const crds = loadCrdSchemas(dir);
  const types = SERVED_KINDS.map((kind): ResourceType => {
    const props = crds?.get(kind);
    const { version, plural } = RESOURCES[kind];
    return {
      group: GROUP,
      version,
      groupVersion: `${GROUP}/${version}`,
      kind,
      listKind: `${kind}List`,
      plural,
      ...NAMES[kind],
      categories: ['istio-io', 'networking-istio-io'],
      schema: props === undefined ? kubernetesModelsSkeleton(kind) : buildSchemaNode(props),
    };
  });
  const catalog: ResourceCatalog = {
    byPlural: new Map(types.map((t) => [t.plural, t])),
    byKind: new Map(types.map((t) => [t.kind, t])),
    fromCrds: crds !== undefined,
  };
  catalogs.set(dir, catalog);
  return catalog;
}
