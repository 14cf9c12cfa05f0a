// A folder of manifests standing in for a cluster (`--out DIR`, the demo): one YAML file
// per object at DIR/<namespace>/<kind>/<name>.yaml, so one changed object is one changed
// file and `kubectl apply -R -f DIR` applies the lot.
import { mkdir, readdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { pluralOf, type IstioKind, type IstioObject } from '../model/istio.ts';
import { toYamlDocument } from './format.ts';

export function manifestPath(root: string, object: { kind: IstioKind; metadata: { namespace: string; name: string } }): string {
  return join(root, object.metadata.namespace, pluralOf(object.kind), `${object.metadata.name}.yaml`);
}

/** Writes atomically (temp file + rename), so a reader never sees half an object. */
export async function writeManifest(root: string, object: IstioObject): Promise<void> {
  const path = manifestPath(root, object);
  await mkdir(join(path, '..'), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, toYamlDocument(object));
  await rename(temp, path);
}

export async function removeManifest(root: string, object: { kind: IstioKind; metadata: { namespace: string; name: string } }): Promise<void> {
  await rm(manifestPath(root, object), { force: true });
}

/** Every manifest file under root, as paths relative to it. */
export async function listManifests(root: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
      .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function readManifest(root: string, relative: string): Promise<string> {
  return readFile(join(root, relative), 'utf8');
}
