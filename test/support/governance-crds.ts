// Checks governance's objects the way an API server would: DestinationRule and
// VirtualService through the project's validator, EnvoyFilter (v1alpha3) against its CRD
// in ../shared (schema, pruning, CEL). The validator knows only the kinds the pipeline
// writes, and the EnvoyFilter is not one of them (render prints it; nothing applies it),
// so it runs the validator's CRD pipeline here under a kind its type-meta layer accepts,
// with apiVersion and kind checked on the side. Without ../shared the typed model's
// compiled value checks stand in, but neither CEL rules nor unknown fields are checked then.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EnvoyFilter } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { istioReferenceDir, resolveSharedDir } from '../../lib/istio-validator/crd-files.ts';
import { loadIstioValidator } from '../../lib/istio-validator/index.ts';
import { jsonSchemaPropsSchema } from '../../lib/istio-validator/json-schema-props.ts';
import { pipelineFromCrd, validateResource } from '../../lib/istio-validator/resource-validator.ts';
import { parseOrThrow } from '../../lib/model/validation.ts';

const CrdSchema = z.looseObject({
  spec: z.looseObject({ versions: z.array(z.looseObject({ name: z.string(), schema: z.looseObject({ openAPIV3Schema: z.unknown() }) })) }),
});

const KINDS = {
  EnvoyFilter: { file: 'envoyfilters.crd.yaml', apiVersion: 'networking.istio.io/v1alpha3', version: 'v1alpha3' },
} as const;
type NewKind = keyof typeof KINDS;

type Check = (obj: Record<string, unknown>) => string[];

function crdCheck(kind: NewKind, dir: string): Check | undefined {
  const file = path.join(dir, KINDS[kind].file);
  if (!existsSync(file)) return undefined;
  const doc = parseOrThrow(CrdSchema, parseYaml(readFileSync(file, 'utf8')), file);
  const version = doc.spec.versions.find((v) => v.name === KINDS[kind].version);
  if (version === undefined) throw new Error(`${file}: no version ${KINDS[kind].version}`);
  const pipeline = pipelineFromCrd(parseOrThrow(jsonSchemaPropsSchema, version.schema.openAPIV3Schema, file));
  const pipelines = new Map([['DestinationRule' as const, pipeline]]);
  return (obj) => {
    const { causes } = validateResource(pipelines, { ...obj, apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule' }, { strictUnknownFields: true });
    return causes.map((c) => c.message);
  };
}

function modelCheck(kind: NewKind): Check {
  return (obj) => {
    try {
      new EnvoyFilter(obj as unknown as ConstructorParameters<typeof EnvoyFilter>[0]).validate();
      return [];
    } catch (error) {
      return [error instanceof Error ? error.message : String(error)];
    }
  };
}

const dir = istioReferenceDir(resolveSharedDir());
const checks = new Map<NewKind, Check>((Object.keys(KINDS) as NewKind[]).map((kind) => [kind, crdCheck(kind, dir) ?? modelCheck(kind)]));

/** True when the CRDs were found: CEL rules and unknown fields are checked. */
export const governanceCrdsFound = existsSync(path.join(dir, KINDS.EnvoyFilter.file)) && loadIstioValidator({ quiet: true }).celEnabled;

/** Problems of one object, as the API server would word them; empty when it would be accepted. */
export function governanceObjectProblems(obj: unknown): string[] {
  const o = obj as Record<string, unknown>;
  const kind = o['kind'];
  if (kind === 'DestinationRule' || kind === 'VirtualService') return loadIstioValidator({ quiet: true }).validate(obj, { strictUnknownFields: true }).causes.map((c) => c.message);
  if (kind !== 'EnvoyFilter') return [`kind: unexpected ${JSON.stringify(kind)}`];
  const problems: string[] = [];
  if (o['apiVersion'] !== KINDS[kind].apiVersion) problems.push(`apiVersion: must be ${KINDS[kind].apiVersion} (got ${JSON.stringify(o['apiVersion'])})`);
  problems.push(...(checks.get(kind) as Check)(o));
  return problems;
}

/** Throws listing every invalid object and why. */
export function assertValidGovernanceObjects(objects: readonly unknown[]): void {
  const failures = objects.flatMap((obj, i) => {
    const problems = governanceObjectProblems(obj);
    const o = obj as { kind?: unknown; metadata?: { name?: unknown } };
    return problems.length === 0 ? [] : [`#${i} ${String(o.kind)} ${String(o.metadata?.name)}:\n  ${problems.join('\n  ')}`];
  });
  if (failures.length > 0) throw new Error(`${failures.length} of ${objects.length} governance objects are invalid${governanceCrdsFound ? '' : ' (CEL rules and unknown fields not checked)'}:\n${failures.join('\n')}`);
}
