// Kubernetes' own schemas for the manifests under deploy/kubernetes, from kubernetes-models
// (models generated from the Kubernetes OpenAPI spec). Two checks, as an API server with
// `kubectl apply`'s default --validate=strict makes them:
//   values  - each model's validate(): the compiled OpenAPI validator (types, required
//             fields, enums, formats);
//   fields  - no field the schema does not declare. The OpenAPI validators accept unknown
//             fields (Kubernetes' schemas do not forbid additional properties), so a typo
//             such as `readinesProbe` would pass them; the models' type declarations name
//             every field, and the TypeScript checker walks them alongside the object.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type ts from 'typescript';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';

interface ValidatingModel {
  validate(): void;
}

interface ModelEntry {
  /** the module and interface the type declarations give */
  module: string;
  iface: string;
  create(data: Record<string, unknown>): ValidatingModel;
}

// The constructors are typed for well-formed input; the point here is checking input that may not be.
type Data<C extends abstract new (...args: never[]) => unknown> = ConstructorParameters<C>[0];
const MODELS: Record<string, ModelEntry> = {
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1/Deployment', iface: 'IDeployment', create: (d) => new Deployment(d as unknown as Data<typeof Deployment>) },
  'v1/Service': { module: 'kubernetes-models/v1/Service', iface: 'IService', create: (d) => new Service(d as unknown as Data<typeof Service>) },
  'v1/ServiceAccount': { module: 'kubernetes-models/v1/ServiceAccount', iface: 'IServiceAccount', create: (d) => new ServiceAccount(d as unknown as Data<typeof ServiceAccount>) },
  'v1/PersistentVolumeClaim': { module: 'kubernetes-models/v1/PersistentVolumeClaim', iface: 'IPersistentVolumeClaim', create: (d) => new PersistentVolumeClaim(d as unknown as Data<typeof PersistentVolumeClaim>) },
  'policy/v1/PodDisruptionBudget': { module: 'kubernetes-models/policy/v1/PodDisruptionBudget', iface: 'IPodDisruptionBudget', create: (d) => new PodDisruptionBudget(d as unknown as Data<typeof PodDisruptionBudget>) },
  'rbac.authorization.k8s.io/v1/Role': { module: 'kubernetes-models/rbac.authorization.k8s.io/v1/Role', iface: 'IRole', create: (d) => new Role(d as unknown as Data<typeof Role>) },
  'rbac.authorization.k8s.io/v1/RoleBinding': { module: 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding', iface: 'IRoleBinding', create: (d) => new RoleBinding(d as unknown as Data<typeof RoleBinding>) },
};

export const KNOWN_KINDS = Object.keys(MODELS);

const keyOf = (o: { apiVersion?: unknown; kind?: unknown }): string => `${String(o.apiVersion)}/${String(o.kind)}`;

interface AjvLikeError {
  instancePath: string;
  message?: string;
}

/** The OpenAPI validator's complaints, as `path: message` lines; [] when valid. */
export function schemaErrors(object: Record<string, unknown>): string[] {
  const entry = MODELS[keyOf(object)];
  if (entry === undefined) return [`${keyOf(object)}: no schema here for this kind (add it to test/support/kube-manifest-schema.ts)`];
  try {
    entry.create(object).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: AjvLikeError[] }).errors;
    if (!Array.isArray(errors)) throw error;
    return errors.map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
  }
}

interface Walker {
  checker: ts.TypeChecker;
  ts: typeof ts;
  types: Map<string, ts.Type>;
}

let walker: Walker | undefined;

/** A TypeScript program over the models' declarations; built once (about a second). */
function loadWalker(): Walker {
  if (walker !== undefined) return walker;
  const t = createRequire(import.meta.url)('typescript') as typeof ts;
  const entries = Object.entries(MODELS);
  const file = fileURLToPath(new URL('./kubernetes-models-types.virtual.ts', import.meta.url));
  const text = `${entries.map(([, m], i) => `import type { ${m.iface} as T${i} } from '${m.module}';`).join('\n')}\nexport interface Models {\n${entries.map(([k], i) => `  '${k}': T${i};`).join('\n')}\n}\n`;
  const options: ts.CompilerOptions = { module: t.ModuleKind.NodeNext, moduleResolution: t.ModuleResolutionKind.NodeNext, target: t.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: [] };
  const host = t.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) => (name === file ? t.createSourceFile(name, text, language) : getSourceFile.call(host, name, language, ...rest));
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? text : readFile.call(host, name));
  const program = t.createProgram([file], options, host);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const models = source?.statements.find((s): s is ts.InterfaceDeclaration => t.isInterfaceDeclaration(s) && s.name.text === 'Models');
  if (models === undefined) throw new Error('kube-manifest-schema: the models file did not compile');
  const types = new Map<string, ts.Type>();
  const modelsType = checker.getTypeAtLocation(models.name);
  for (const [k] of entries) {
    const prop = checker.getPropertyOfType(modelsType, k);
    const type = prop === undefined ? undefined : checker.getTypeOfSymbol(prop);
    // An unresolved import is `any`, which would accept every field: fail loudly instead.
    if (type === undefined || (type.flags & t.TypeFlags.Any) !== 0) throw new Error(`kube-manifest-schema: cannot resolve the type of ${k}`);
    types.set(k, type);
  }
  walker = { checker, ts: t, types };
  return walker;
}

function objectMembers(w: Walker, type: ts.Type): ts.Type[] {
  const t = w.checker.getNonNullableType(type);
  const members = t.isUnion() ? t.types : [t];
  return members.filter((m) => (m.flags & w.ts.TypeFlags.Object) !== 0 && !w.checker.isArrayType(m));
}

function arrayElement(w: Walker, type: ts.Type): ts.Type | undefined {
  const t = w.checker.getNonNullableType(type);
  for (const m of t.isUnion() ? t.types : [t]) if (w.checker.isArrayType(m)) return w.checker.getTypeArguments(m as ts.TypeReference)[0];
  return undefined;
}

function walk(w: Walker, value: unknown, type: ts.Type, path: string, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    const element = arrayElement(w, type);
    // A list where the schema has none is the value validator's finding.
    if (element !== undefined) value.forEach((v, i) => walk(w, v, element, `${path}[${i}]`, out));
    return;
  }
  const candidates = objectMembers(w, type);
  if (candidates.length === 0) return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    let childType: ts.Type | undefined;
    for (const c of candidates) {
      const prop = w.checker.getPropertyOfType(c, key);
      if (prop !== undefined) {
        childType = w.checker.getTypeOfSymbol(prop);
        break;
      }
      const index = w.checker.getIndexInfoOfType(c, w.ts.IndexKind.String);
      if (index !== undefined) {
        childType = index.type;
        break;
      }
    }
    if (childType === undefined) out.push(`${path}.${key}`);
    else walk(w, child, childType, `${path}.${key}`, out);
  }
}

/** Fields the object has and its kind's schema does not declare, as paths (`.spec.template...`). */
export function unknownFields(object: Record<string, unknown>): string[] {
  const w = loadWalker();
  const type = w.types.get(keyOf(object));
  if (type === undefined) return [`${keyOf(object)}: no schema here for this kind`];
  const out: string[] = [];
  walk(w, object, type, '', out);
  return out;
}
