// A manifests folder as the pipeline's cluster (`sc2mesh run --out DIR`, the demo): the same
// ownership rules as the real writer — a file without sc2mesh's marks for this source is
// never overwritten or deleted, it is reported as a conflict. Every namespace is one folder
// (DIR/<namespace>/…), so an object outside the target namespace (a rate-limit EnvoyFilter
// in istio-system) is written, listed and pruned like any other; as in the writer, a
// listing leaves out the per-consumer kinds (Sidecars) unless it names them.
import { parse } from 'yaml';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { keyOfRef, keyOfObject, type IstioKind, type IstioObject } from '../model/istio.ts';
import { isOwnedBy, SERVICE_LABEL, SHARD_LABEL } from '../model/ownership.ts';
import { PER_CONSUMER_KINDS } from '../model/istio.ts';
import type { ObjectRef } from '../plan/object-plan.ts';
import type { ApplyOutcome, ClusterTarget, DeleteOutcome, LiveObject } from '../pipeline/contracts.ts';
import { listManifests, manifestPath, removeManifest, writeManifest } from './manifest-folder.ts';

interface Meta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

async function readObject(path: string): Promise<{ kind?: IstioKind; metadata?: Meta } | undefined> {
  try {
    return parse(await readFile(path, 'utf8')) as { kind?: IstioKind; metadata?: Meta };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** `<ns>/<kind>/<name>.yaml`: could the object be one of these services'? (name = service name, or service name + suffix) */
function mayBelongTo(file: string, services: ReadonlySet<string>): boolean {
  const base = basename(file).replace(/\.ya?ml$/, '');
  if (services.has(base)) return true;
  const dash = base.lastIndexOf('-');
  return dash > 0 && services.has(base.slice(0, dash));
}

export interface FolderClusterStats {
  writes: number;
  deletes: number;
}

export function createFolderCluster(root: string, source: string): ClusterTarget & { stats: FolderClusterStats } {
  const stats: FolderClusterStats = { writes: 0, deletes: 0 };
  const ownedAt = async (path: string): Promise<'owned' | 'absent' | 'foreign'> => {
    const existing = await readObject(path);
    if (existing === undefined) return 'absent';
    return isOwnedBy(existing.metadata?.labels, source) ? 'owned' : 'foreign';
  };
  return {
    stats,
    async listOwned(options = {}): Promise<LiveObject[]> {
      const out: LiveObject[] = [];
      const services = options.services === undefined ? undefined : new Set(options.services);
      const listed = (kind: IstioKind): boolean => (options.kinds === undefined ? !PER_CONSUMER_KINDS.includes(kind) : options.kinds.includes(kind));
      for (const file of await listManifests(root)) {
        // Object names start with their service's name: only those files are read.
        if (services !== undefined && !mayBelongTo(file, services)) continue;
        const o = await readObject(join(root, file));
        const m = o?.metadata;
        if (o?.kind === undefined || m?.name === undefined || !isOwnedBy(m.labels, source)) continue;
        if (!listed(o.kind)) continue;
        if (options.shards !== undefined && !options.shards.includes(Number(m.labels?.[SHARD_LABEL]))) continue;
        if (services !== undefined && !services.has(m.labels?.[SERVICE_LABEL] ?? '')) continue;
        // A file's place names its namespace when its metadata does not (as folderContentReader reads it).
        out.push({ kind: o.kind, namespace: m.namespace ?? file.split('/')[0] ?? '', name: m.name, labels: m.labels ?? {}, annotations: m.annotations ?? {} });
      }
      return out;
    },
    async apply(objects: readonly IstioObject[]): Promise<ApplyOutcome> {
      const outcome: ApplyOutcome = { applied: [], conflicts: [], failed: [] };
      for (const o of objects) {
        const key = keyOfObject(o);
        try {
          if ((await ownedAt(manifestPath(root, o))) === 'foreign') {
            outcome.conflicts.push({ key, reason: 'a manifest of that name exists without sc2mesh ownership marks' });
            continue;
          }
          await writeManifest(root, o);
          stats.writes++;
          outcome.applied.push({ key });
        } catch (error) {
          outcome.failed.push({ key, error: (error as Error).message });
        }
      }
      return outcome;
    },
    async delete(refs: readonly ObjectRef[]): Promise<DeleteOutcome> {
      const outcome: DeleteOutcome = { deleted: [], absent: [], conflicts: [], failed: [] };
      for (const ref of refs) {
        const key = keyOfRef(ref);
        const target = { kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } };
        try {
          const state = await ownedAt(manifestPath(root, target));
          if (state === 'absent') outcome.absent.push(key);
          else if (state === 'foreign') outcome.conflicts.push({ key, reason: 'exists without sc2mesh ownership marks' });
          else {
            await removeManifest(root, target);
            stats.deletes++;
            outcome.deleted.push(key);
          }
        } catch (error) {
          outcome.failed.push({ key, error: (error as Error).message });
        }
      }
      return outcome;
    },
  };
}
