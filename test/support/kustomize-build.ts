// `kustomize build` for the features deploy/kubernetes uses, so the manifests can be checked
// where no kustomize is installed: `resources` (files and kustomization folders, with
// kustomize's own load rules: a file must lie in or below the kustomization's folder, and a
// folder may not contain one already being built), `patches` given by `path` (strategic
// merge patches, matched by kind and name), and `namespace`. Any other field, or a patch
// this emulation cannot apply the way kustomize would, throws instead of being ignored, so
// a manifest that starts to rely on more cannot pass unchecked. Where kubectl exists, the
// test compares this with `kubectl kustomize`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown } };

export interface KustomizeBuild {
  objects: KubeObject[];
  /** every file read: kustomization.yaml files, resources, patches */
  files: string[];
}

const KUSTOMIZATION_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'patches']);
/** patchMergeKey of the lists these patches touch (from the Kubernetes API types) */
const MERGE_KEYS: Record<string, string> = { containers: 'name', initContainers: 'name', env: 'name', volumes: 'name', volumeMounts: 'mountPath' };

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function fail(file: string, message: string): never {
  throw new Error(`${file}: ${message}`);
}

/** Every YAML document of a file, as plain objects. */
export function readYamlDocuments(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length > 0) fail(file, d.errors.map((e) => e.message).join('; '));
    return d.toJS() as unknown;
  }).filter((d) => d !== null);
}

function asObject(file: string, doc: unknown): KubeObject {
  if (!isRecord(doc) || typeof doc['apiVersion'] !== 'string' || typeof doc['kind'] !== 'string' || !isRecord(doc['metadata']) || typeof doc['metadata']['name'] !== 'string') {
    fail(file, 'a document without apiVersion, kind and metadata.name');
  }
  return doc as KubeObject;
}

function within(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !r.startsWith(sep));
}

/** Strategic merge of `patch` into `target` (mutated), for maps and the keyed lists in MERGE_KEYS. */
function strategicMerge(target: Record<string, unknown>, patch: Record<string, unknown>, file: string, at: string): void {
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) fail(file, `${at}.${key}: patch directives are not emulated`);
    const current = target[key];
    if (value === null) {
      delete target[key];
    } else if (isRecord(value) && isRecord(current)) {
      strategicMerge(current, value, file, `${at}.${key}`);
    } else if (Array.isArray(value) && value.some(isRecord)) {
      const mergeKey = MERGE_KEYS[key];
      if (mergeKey === undefined) fail(file, `${at}.${key}: a list of objects without an emulated merge key`);
      const merged = Array.isArray(current) ? [...(current as unknown[])] : [];
      const added: unknown[] = [];
      for (const item of value) {
        if (!isRecord(item) || item[mergeKey] === undefined) fail(file, `${at}.${key}: every item needs ${mergeKey}`);
        const existing = merged.find((m) => isRecord(m) && m[mergeKey] === item[mergeKey]);
        if (isRecord(existing)) strategicMerge(existing, item, file, `${at}.${key}[${String(item[mergeKey])}]`);
        else added.push(structuredClone(item));
      }
      // kustomize puts the items a patch adds before the ones it had (order matters for env).
      target[key] = [...added, ...merged];
    } else {
      target[key] = structuredClone(value);
    }
  }
}

function build(dir: string, visiting: readonly string[], files: string[]): KubeObject[] {
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) fail(dir, 'no kustomization.yaml');
  files.push(file);
  const [k, ...rest] = readYamlDocuments(file);
  if (!isRecord(k) || rest.length > 0) fail(file, 'must hold one mapping');
  for (const field of Object.keys(k)) if (!KUSTOMIZATION_FIELDS.has(field)) fail(file, `field ${field} is not emulated`);
  if (k['kind'] !== 'Kustomization' || k['apiVersion'] !== 'kustomize.config.k8s.io/v1beta1') fail(file, 'not a kustomize.config.k8s.io/v1beta1 Kustomization');

  const objects: KubeObject[] = [];
  for (const entry of (k['resources'] ?? []) as unknown[]) {
    if (typeof entry !== 'string') fail(file, 'a resource that is not a path');
    const path = resolve(dir, entry);
    if (!existsSync(path)) fail(file, `resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) {
      // kustomize: "cycle detected: candidate root … contains visited root …"
      if ([...visiting, dir].some((v) => within(path, v))) fail(file, `resource ${entry} contains a kustomization being built (kustomize refuses it as a cycle)`);
      objects.push(...build(path, [...visiting, dir], files));
    } else {
      // kustomize's default load restrictor: "security; file … is not in or below …"
      if (!within(dir, path)) fail(file, `resource ${entry} is not in or below ${dir} (kustomize refuses it)`);
      files.push(path);
      objects.push(...readYamlDocuments(path).map((d) => asObject(path, d)));
    }
  }

  for (const entry of (k['patches'] ?? []) as unknown[]) {
    if (!isRecord(entry) || typeof entry['path'] !== 'string' || Object.keys(entry).length !== 1) fail(file, 'a patch other than { path } is not emulated');
    const path = resolve(dir, entry['path']);
    if (!existsSync(path)) fail(file, `patch ${entry['path']} does not exist`);
    if (!within(dir, path)) fail(file, `patch ${entry['path']} is not in or below ${dir} (kustomize refuses it)`);
    files.push(path);
    for (const doc of readYamlDocuments(path)) {
      const patch = asObject(path, doc);
      const targets = objects.filter(
        (o) => o.kind === patch.kind && o.apiVersion === patch.apiVersion && o.metadata.name === patch.metadata.name && (patch.metadata.namespace === undefined || o.metadata.namespace === patch.metadata.namespace),
      );
      if (targets.length !== 1) fail(path, `matches ${targets.length} objects (${patch.kind}/${patch.metadata.name}); kustomize needs exactly one`);
      strategicMerge(targets[0] as KubeObject, patch, path, `${patch.kind}/${patch.metadata.name}`);
    }
  }

  const namespace = k['namespace'];
  if (typeof namespace === 'string') {
    for (const o of objects) {
      o.metadata.namespace = namespace;
      if (o.kind === 'RoleBinding') for (const s of (o['subjects'] ?? []) as Record<string, unknown>[]) if (s['kind'] === 'ServiceAccount') s['namespace'] = namespace;
    }
  }
  return objects;
}

export function kustomizeBuild(dir: string): KustomizeBuild {
  const files: string[] = [];
  const objects = build(resolve(dir), [], files);
  return { objects, files: [...new Set(files)] };
}
