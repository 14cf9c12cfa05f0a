// One kind's validation pipeline, in the API server's order: TypeMeta, pruning (unknown
// fields), ObjectMeta, OpenAPI value checks, list types, then CEL unless an earlier error
// makes the object too malformed for rules (strategy.go's hasBlockingErr).
import type { IstioKind } from '../model/istio.ts';
import { compileCelRules, type CelRuleSet } from './cel-rules.ts';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { kubernetesModelsSkeleton } from './kubernetes-models-fields.ts';
import { kubernetesModelsValueCheck } from './kubernetes-models-schema.ts';
import { checkListTypes, hasListTypes } from './list-type-rules.ts';
import { checkObjectMeta, checkTypeMeta } from './metadata-rules.ts';
import { ajvErrorsToCauses, compileValueCheck, type ValueCheck } from './openapi-schema.ts';
import { pruneResource } from './pruning.ts';
import { buildSchemaNode, isJsonObject, type SchemaNode } from './structural-schema.ts';
import { fieldError, isBlocking, unknownFieldWarning, type ValidationCause } from './validation-cause.ts';

export interface ValidationResult {
  causes: ValidationCause[];
  /** What the server would send as Warning headers: the fields it pruned. */
  warnings: string[];
}

export interface ValidateOptions {
  /** Report unknown fields as causes (fieldValidation=Strict) instead of warnings. */
  strictUnknownFields?: boolean;
  /** The stored object, for an update: lets transition rules (oldSelf) run. */
  oldObject?: unknown;
}

interface KindPipeline {
  /** What pruning walks: the CRD schema, or without it the field skeleton of the typed models. */
  readonly schema: SchemaNode;
  readonly valueCheck: ValueCheck;
  readonly relativeSchemaPaths: boolean;
  readonly listTypes: boolean;
  readonly cel: CelRuleSet | undefined;
}

const BLOCKED_CEL_DETAIL =
  'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

export function pipelineFromCrd(props: JSONSchemaProps): KindPipeline {
  const schema = buildSchemaNode(props);
  return {
    schema,
    valueCheck: compileValueCheck(props),
    relativeSchemaPaths: false,
    listTypes: hasListTypes(schema),
    cel: compileCelRules(schema),
  };
}

export function pipelineFromKubernetesModels(kind: IstioKind): KindPipeline {
  return {
    schema: kubernetesModelsSkeleton(kind),
    valueCheck: kubernetesModelsValueCheck(kind),
    relativeSchemaPaths: true,
    listTypes: false,
    cel: undefined,
  };
}

export function validateResource(
  pipelines: ReadonlyMap<IstioKind, KindPipeline>,
  obj: unknown,
  options: ValidateOptions = {},
): ValidationResult {
  const typeMeta = checkTypeMeta(obj);
  if (!typeMeta.ok) return { causes: typeMeta.causes, warnings: [] };
  const resource = obj as Record<string, unknown>;
  const pipeline = pipelines.get(typeMeta.kind);
  if (pipeline === undefined) throw new Error(`istio-validator: no pipeline for ${typeMeta.kind}`);

  const { pruned, unknownFields } = pruneResource(resource, pipeline.schema);
  const meta = checkObjectMeta(resource);
  unknownFields.push(...meta.unknownFields);

  const causes: ValidationCause[] = [];
  let warnings: string[] = [];
  if (options.strictUnknownFields === true) causes.push(...unknownFields.map(fieldError.unknownField));
  else warnings = unknownFields.map(unknownFieldWarning);

  causes.push(...meta.causes);
  causes.push(...ajvErrorsToCauses(pipeline.valueCheck(pruned), pruned, { relativeSchemaPaths: pipeline.relativeSchemaPaths }));
  if (pipeline.listTypes) causes.push(...checkListTypes(pruned, pipeline.schema));

  if (pipeline.cel !== undefined) {
    if (causes.some(isBlocking)) {
      causes.push(fieldError.invalid('', null, BLOCKED_CEL_DETAIL));
    } else {
      const old = options.oldObject;
      const oldPruned = pipeline.cel.usesOldSelf && isJsonObject(old) ? pruneResource(old, pipeline.schema).pruned : undefined;
      causes.push(...pipeline.cel.evaluate(pruned, oldPruned));
    }
  }
  return { causes, warnings };
}
