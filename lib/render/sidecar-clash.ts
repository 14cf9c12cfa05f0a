// Two Sidecars whose selectors match one workload leave Istio's choice between them
// undefined (../shared/reference/istio/scoping.md §3), so a Sidecar of sc2mesh's must not
// select workloads that someone else's Sidecar selects. Without the pods, selector A
// surely overlaps selector B when one's labels are a subset of the other's (every
// workload the larger one matches, the smaller matches too); equal selectors are the
// common case. Selectors that merely do not contradict may still meet on some pod;
// those are not refused. A selector-less Sidecar is the namespace default and never
// clashes (a selecting one wins). Pure: the caller lists the namespace's Sidecars
// (KubeClusterWriter.listObjects) and leaves out the desired ones reported here.
import { z } from 'zod';
import { keyOfObject, objectKey, type Sidecar } from '../model/istio.ts';
import { isOwnedBy } from '../model/ownership.ts';

/** A Sidecar as listed from the cluster, whoever wrote it (ListedObject of lib/kube/istio-client.ts fits). */
export interface LiveSidecar {
  meta: { name: string; namespace: string; labels: Readonly<Record<string, string>> };
  spec: unknown;
}

export interface SidecarClash {
  /** the desired Sidecar not to write */
  key: string;
  /** the Sidecar it clashes with */
  with: string;
  reason: string;
}

const liveSelector = z.looseObject({ workloadSelector: z.looseObject({ labels: z.record(z.string(), z.string()).optional() }).optional() });

function selectorOf(spec: unknown): Readonly<Record<string, string>> | undefined {
  const parsed = liveSelector.safeParse(spec);
  if (!parsed.success) return undefined;
  const labels = parsed.data.workloadSelector?.labels;
  return labels === undefined || Object.keys(labels).length === 0 ? undefined : labels;
}

const within = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => Object.entries(a).every(([k, v]) => b[k] === v);

/** How `a` and `b` overlap surely, or undefined. */
function overlap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): string | undefined {
  const aInB = within(a, b);
  const bInA = within(b, a);
  if (aInB && bInA) return 'the same workload selector';
  if (aInB || bInA) return 'a selector that matches a subset of the same workloads';
  return undefined;
}

const selectorText = (labels: Readonly<Record<string, string>>): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k] ?? ''}`)
    .join(',');

/**
 * The desired Sidecars that would select workloads another Sidecar selects: a live one
 * not of this source, or (both refused) another desired one. Live Sidecars of this
 * source are sc2mesh's own earlier writes and are replaced or pruned, so they do not count.
 */
export function sidecarClashes(desired: readonly Sidecar[], live: readonly LiveSidecar[], source: string): SidecarClash[] {
  const clashes: SidecarClash[] = [];
  const foreign = live.filter((l) => !isOwnedBy(l.meta.labels, source));
  for (const d of desired) {
    const mine = d.spec.workloadSelector.labels;
    const key = keyOfObject(d);
    for (const l of foreign) {
      if (l.meta.namespace !== d.metadata.namespace) continue;
      const theirs = selectorOf(l.spec);
      const how = theirs === undefined ? undefined : overlap(mine, theirs);
      if (how === undefined || theirs === undefined) continue;
      const other = objectKey('Sidecar', l.meta.namespace, l.meta.name);
      clashes.push({ key, with: other, reason: `${key} (${selectorText(mine)}) has ${how} as ${other} (${selectorText(theirs)}), which sc2mesh does not own; Istio's choice between them is undefined, so it is not written` });
    }
  }
  for (let i = 0; i < desired.length; i++) {
    for (let j = i + 1; j < desired.length; j++) {
      const a = desired[i] as Sidecar;
      const b = desired[j] as Sidecar;
      if (a.metadata.namespace !== b.metadata.namespace) continue;
      const how = overlap(a.spec.workloadSelector.labels, b.spec.workloadSelector.labels);
      if (how === undefined) continue;
      const [ka, kb] = [keyOfObject(a), keyOfObject(b)];
      const why = (x: string, y: string) => `${x} has ${how} as ${y} (both sc2mesh's, for two consumers); Istio's choice between them is undefined, so neither is written`;
      clashes.push({ key: ka, with: kb, reason: why(ka, kb) }, { key: kb, with: ka, reason: why(kb, ka) });
    }
  }
  return clashes;
}
