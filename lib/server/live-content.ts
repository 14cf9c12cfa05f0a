// The full read a resync compares against: every object of the managed kinds, spec
// included, whoever owns it, in each namespace the writer writes that kind to (the target
// namespace; the rate-limit EnvoyFilters' governance.rateLimitNamespace), each kind at its
// own version (RESOURCES: EnvoyFilter is v1alpha3). The writer's listings are metadata
// only (cheap, for the per-minute audit), which cannot show a hand-patched spec to a
// resync whose state is fresh, nor tell a foreign same-named object from a missing one
// before writing. A resync is manual and rare, so one paginated full LIST per kind and
// namespace is affordable; pages are compared as they come and not kept.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { managedKinds, writerNamespaces, type Sc2meshConfig } from '../config/index.ts';
import { ISTIO_GROUP, isIstioKind, RESOURCES, type IstioKind } from '../model/istio.ts';
import { loadClusterAccess, namespaceScope, PER_CONSUMER_KINDS } from '../kube/index.ts';
import { listManifests } from '../output/manifest-folder.ts';
import type { ClusterContentReader, LiveContent } from '../pipeline/reconcile.ts';

const PAGE = 500;

function stringMap(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  return out;
}

function toContent(kind: IstioKind, raw: unknown, namespace: string): LiveContent | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const o = raw as { metadata?: { name?: unknown; namespace?: unknown; labels?: unknown; annotations?: unknown }; spec?: unknown };
  if (typeof o.metadata?.name !== 'string') return undefined;
  return {
    kind,
    namespace: typeof o.metadata.namespace === 'string' ? o.metadata.namespace : namespace,
    name: o.metadata.name,
    labels: stringMap(o.metadata.labels),
    annotations: stringMap(o.metadata.annotations),
    spec: o.spec,
  };
}

/** The manifests folder (`--out DIR`): every file, parsed. */
export function folderContentReader(root: string): ClusterContentReader {
  return {
    async *pages() {
      let page: LiveContent[] = [];
      for (const file of await listManifests(root)) {
        let raw: unknown;
        try {
          raw = parse(await readFile(join(root, file), 'utf8')) as unknown;
        } catch {
          continue;
        }
        const kind = (raw as { kind?: unknown } | null)?.kind;
        if (!isIstioKind(kind)) continue;
        // A file's place names its namespace even when its metadata does not.
        const c = toContent(kind, raw, file.split('/')[0] ?? '');
        if (c !== undefined) page.push(c);
        if (page.length >= PAGE) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },
  };
}

/** The cluster, through the same access settings as the writer (kubeconfig, in-cluster, EKS). */
export async function kubeContentReader(config: Sc2meshConfig): Promise<ClusterContentReader> {
  const access = await loadClusterAccess({ mode: config.kube.mode, kubeconfig: config.kube.kubeconfig, context: config.kube.context, eks: config.kube.eks });
  const api = access.kubeConfig.makeApiClient(CustomObjectsApi);
  // The (kind, namespace) pairs the writer lists (lib/kube/namespace-scope.ts). Sidecars are
  // per consumer and no service's object, so, as in the writer's default listing, not read here.
  const kinds = managedKinds(config).filter((k) => !PER_CONSUMER_KINDS.includes(k));
  const pairs = namespaceScope(config.render.namespace, writerNamespaces(config)).pairs(kinds);
  return {
    async *pages() {
      for (const { kind, namespace } of pairs) {
        let continueToken: string | undefined;
        do {
          const raw = (await api.listNamespacedCustomObject({
            group: ISTIO_GROUP,
            version: RESOURCES[kind].version,
            namespace,
            plural: RESOURCES[kind].plural,
            limit: PAGE,
            ...(continueToken === undefined ? {} : { _continue: continueToken }),
          })) as { items?: unknown[]; metadata?: { continue?: string } };
          const page: LiveContent[] = [];
          for (const item of raw.items ?? []) {
            const c = toContent(kind, item, namespace);
            if (c !== undefined) page.push(c);
          }
          yield page;
          continueToken = raw.metadata?.continue === '' ? undefined : raw.metadata?.continue;
        } while (continueToken !== undefined);
      }
    },
  };
}

/** The reader for wherever this configuration writes. */
export async function createContentReader(config: Sc2meshConfig): Promise<ClusterContentReader | undefined> {
  if (config.out !== '') return folderContentReader(config.out);
  if (config.kube.mode === 'none') return undefined;
  return kubeContentReader(config);
}
