// Finds and reads the real Istio CRDs. They live beside the checkout in
// ../shared/reference/istio and may not be copied into the repository, so everything
// here tolerates their absence (a fresh clone) but not a half-present or broken set.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RESOURCES, type IstioKind } from '../model/istio.ts';
import { parseOrThrow } from '../model/validation.ts';
import { jsonSchemaPropsSchema, type JSONSchemaProps } from './json-schema-props.ts';

export const SHARED_DIR_ENV = 'SC2MESH_SHARED_DIR';
/** The version most kinds are read at; each kind's own is in RESOURCES (EnvoyFilter's CRD serves v1alpha3 alone). */
export const CRD_VERSION = 'v1';

const CRD_FILES: Record<IstioKind, string> = {
  ServiceEntry: 'serviceentries.crd.yaml',
  WorkloadEntry: 'workloadentries.crd.yaml',
  DestinationRule: 'destinationrules.crd.yaml',
  VirtualService: 'virtualservices.crd.yaml',
  Sidecar: 'sidecars.crd.yaml',
  EnvoyFilter: 'envoyfilters.crd.yaml',
};

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The `shared` folder: the explicit option, else $SC2MESH_SHARED_DIR, else ../shared beside the repo. */
export function resolveSharedDir(sharedDir?: string): string {
  const chosen = sharedDir ?? process.env[SHARED_DIR_ENV];
  if (chosen !== undefined && chosen !== '') return path.resolve(chosen);
  return path.resolve(repoRoot, '..', 'shared');
}

export function istioReferenceDir(sharedDir: string): string {
  return path.join(sharedDir, 'reference', 'istio');
}

const crdDocumentSchema = z.looseObject({
  apiVersion: z.literal('apiextensions.k8s.io/v1'),
  kind: z.literal('CustomResourceDefinition'),
  spec: z.looseObject({
    group: z.literal('networking.istio.io'),
    names: z.looseObject({ kind: z.string() }),
    versions: z.array(
      z.looseObject({
        name: z.string(),
        schema: z.looseObject({ openAPIV3Schema: z.unknown() }).optional(),
      }),
    ),
  }),
});

function readCrdSchema(file: string, kind: IstioKind): JSONSchemaProps {
  const doc = parseOrThrow(crdDocumentSchema, parseYaml(readFileSync(file, 'utf8')), file);
  if (doc.spec.names.kind !== kind) throw new Error(`istio-validator: ${file} defines ${doc.spec.names.kind}, expected ${kind}`);
  const wanted = RESOURCES[kind].version;
  const version = doc.spec.versions.find((v) => v.name === wanted);
  if (version?.schema === undefined) throw new Error(`istio-validator: ${file} has no ${wanted} openAPIV3Schema`);
  return parseOrThrow(jsonSchemaPropsSchema, version.schema.openAPIV3Schema, `${file}: openAPIV3Schema`);
}

/**
 * The openAPIV3Schema of each kind at the version sc2mesh writes it, or undefined when none of the CRD files exists.
 * Throws when only some exist or one does not parse: that is a broken setup, not a fresh clone.
 */
export function loadCrdSchemas(sharedDir: string): Map<IstioKind, JSONSchemaProps> | undefined {
  const dir = istioReferenceDir(sharedDir);
  const entries = Object.entries(CRD_FILES) as [IstioKind, string][];
  const present = entries.filter(([, file]) => existsSync(path.join(dir, file)));
  if (present.length === 0) return undefined;
  if (present.length < entries.length) {
    const missing = entries.filter((e) => !present.includes(e)).map(([, f]) => f);
    throw new Error(`istio-validator: ${dir} lacks ${missing.join(', ')}`);
  }
  return new Map(entries.map(([kind, file]) => [kind, readCrdSchema(path.join(dir, file), kind)]));
}
