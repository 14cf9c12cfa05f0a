// The three networking.istio.io/v1 resources the test API server serves, with the
// structural schema the server needs beside validation: which fields to prune and which
// lists merge by key under server-side apply. The schema is the real CRD's (read from
// ../shared by the istio-validator's loader); without it, the typed models' skeleton.
import type { IstioKind } from '../../../lib/model/istio.ts';
import { loadCrdSchemas, resolveSharedDir } from '../../../lib/istio-validator/crd-files.ts';
import { kubernetesModelsSkeleton } from '../../../lib/istio-validator/kubernetes-models-fields.ts';
import { buildSchemaNode, type SchemaNode } from '../../../lib/istio-validator/structural-schema.ts';

export type { SchemaNode };

export const GROUP = 'networking.istio.io';
export const VERSION = 'v1';
export const GROUP_VERSION = `${GROUP}/${VERSION}`;

export interface ResourceType {
  group: string;
  version: string;
  kind: IstioKind;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  /** the v1 openAPIV3Schema root, as a structural skeleton */
  schema: SchemaNode;
}

const NAMES: Record<IstioKind, { plural: string; singular: string; shortNames: string[] }> = {
  ServiceEntry: { plural: 'serviceentries', singular: 'serviceentry', shortNames: ['se'] },
  WorkloadEntry: { plural: 'workloadentries', singular: 'workloadentry', shortNames: ['we'] },
  DestinationRule: { plural: 'destinationrules', singular: 'destinationrule', shortNames: ['dr'] },
  VirtualService: { plural: 'virtualservices', singular: 'virtualservice', shortNames: ['vs'] },
};

export const SERVED_KINDS: readonly IstioKind[] = ['ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService'];

export interface ResourceCatalog {
  byPlural: ReadonlyMap<string, ResourceType>;
  byKind: ReadonlyMap<IstioKind, ResourceType>;
  /** whether the schemas came from the real CRD files */
  fromCrds: boolean;
}

const catalogs = new Map<string, ResourceCatalog>();

export function loadResourceCatalog(sharedDir?: string): ResourceCatalog {
  const dir = resolveSharedDir(sharedDir);
  const cached = catalogs.get(dir);
  if (cached !== undefined) return cached;
  const crds = loadCrdSchemas(dir);
  const types = SERVED_KINDS.map((kind): ResourceType => {
    const props = crds?.get(kind);
    return {
      group: GROUP,
      version: VERSION,
      kind,
      listKind: `${kind}List`,
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
