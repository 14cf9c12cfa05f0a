// Checks networking.istio.io ServiceEntry, WorkloadEntry, DestinationRule, VirtualService,
// Sidecar (v1) and EnvoyFilter (v1alpha3) objects the way a Kubernetes API server checks
// them on create/update: ObjectMeta rules, the CRD's structural schema (pruning, OpenAPI
// value checks, list types) and its CEL rules.
// The CRDs are read from ../shared/reference/istio; without them the value checks come
// from @kubernetes-models/istio and CEL rules are skipped, with a one-line notice.
import type { IstioKind } from '../model/istio.ts';
import { loadCrdSchemas, resolveSharedDir } from './crd-files.ts';
import { ISTIO_KINDS } from './metadata-rules.ts';
import {
  pipelineFromCrd,
  pipelineFromKubernetesModels,
  validateResource,
  type ValidateOptions,
  type ValidationResult,
} from './resource-validator.ts';

export type { CauseReason, ValidationCause } from './validation-cause.ts';
export type { ValidateOptions, ValidationResult } from './resource-validator.ts';

export interface IstioValidator {
  /** False when the CRD files were not found. */
  readonly celEnabled: boolean;
  readonly crdSource: 'shared-crds' | 'kubernetes-models';
  validate(obj: unknown, options?: ValidateOptions): ValidationResult;
}

export interface LoadOptions {
  /** The `shared` folder; default $SC2MESH_SHARED_DIR, else ../shared beside the repo. */
  sharedDir?: string;
  /** Do not print the notice when the CRD files are missing. */
  quiet?: boolean;
}

export const MISSING_CRDS_NOTICE = 'istio-validator: ../shared/reference/istio not found; CEL rules not checked';

const validators = new Map<string, IstioValidator>();
let noticePrinted = false;

function createValidator(sharedDir: string): IstioValidator {
  const schemas = loadCrdSchemas(sharedDir);
  const pipelines = new Map(
    ISTIO_KINDS.map((kind: IstioKind) => {
      const props = schemas?.get(kind);
      return [kind, props === undefined ? pipelineFromKubernetesModels(kind) : pipelineFromCrd(props)] as const;
    }),
  );
  return {
    celEnabled: schemas !== undefined,
    crdSource: schemas === undefined ? 'kubernetes-models' : 'shared-crds',
    validate: (obj, options) => validateResource(pipelines, obj, options),
  };
}

/** The validator for a shared folder, built once per folder (compiling the CRDs takes a moment). */
export function loadIstioValidator(options: LoadOptions = {}): IstioValidator {
  const sharedDir = resolveSharedDir(options.sharedDir);
  let validator = validators.get(sharedDir);
  if (validator === undefined) {
    validator = createValidator(sharedDir);
    validators.set(sharedDir, validator);
  }
  if (!validator.celEnabled && options.quiet !== true && !noticePrinted) {
    noticePrinted = true;
    process.stderr.write(`${MISSING_CRDS_NOTICE}\n`);
  }
  return validator;
}

function objectLabel(obj: unknown, index: number): string {
  const o = (typeof obj === 'object' && obj !== null ? obj : {}) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  const kind = typeof o.kind === 'string' ? o.kind : '(no kind)';
  const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '(no name)';
  const namespace = typeof o.metadata?.namespace === 'string' ? `${o.metadata.namespace}/` : '';
  return `#${index} ${kind} ${namespace}${name}`;
}

/** Throws one Error listing every invalid object and all its causes; unknown fields count as errors. */
export function assertValidIstioObjects(objects: readonly unknown[]): void {
  const validator = loadIstioValidator();
  const failures: string[] = [];
  objects.forEach((obj, i) => {
    const { causes } = validator.validate(obj, { strictUnknownFields: true });
    if (causes.length > 0) failures.push(`${objectLabel(obj, i)}:\n${causes.map((c) => `  ${c.message}`).join('\n')}`);
  });
  if (failures.length > 0) {
    const source = validator.celEnabled ? '' : ' (CEL rules not checked: CRD files not found)';
    throw new Error(`${failures.length} of ${objects.length} Istio objects are invalid${source}:\n${failures.join('\n')}`);
  }
}
