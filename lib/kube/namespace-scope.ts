// Where the writer may write each kind. By default everything goes to the one target
// namespace; a kind given its own list (namespacesByKind) goes only there: Sidecars to
// their consumers' namespaces, the rate-limit EnvoyFilters to the mesh root namespace.
// Listing follows the same lists, so a deployment reads exactly the namespaces its RBAC
// grants it (deploy/rbac.yaml, deploy/rbac-scoping.yaml) and no other.
import { ISTIO_KINDS, isIstioKind, type IstioKind } from '../model/istio.ts';
import { isDnsLabel } from '../names/sanitize.ts';

export type NamespacesByKind = Partial<Record<IstioKind, readonly string[]>>;

export interface NamespaceScope {
  /** the namespaces `kind` may be written to, in the order given */
  allowed(kind: IstioKind): readonly string[];
  /** why `kind` may not be written to `namespace`, or undefined when it may */
  refusal(kind: IstioKind, namespace: string): string | undefined;
  /** every (kind, namespace) pair of these kinds, kind by kind */
  pairs(kinds: readonly IstioKind[]): { kind: IstioKind; namespace: string }[];
}

/** Throws naming the option, kind and value when a list is unusable. */
function checkedLists(byKind: NamespacesByKind): Map<IstioKind, readonly string[]> {
  const lists = new Map<IstioKind, readonly string[]>();
  for (const [kind, list] of Object.entries(byKind)) {
    if (!isIstioKind(kind)) throw new Error(`kube writer: namespacesByKind: unknown kind ${JSON.stringify(kind)} (kinds: ${ISTIO_KINDS.join(', ')})`);
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new Error(`kube writer: namespacesByKind.${kind} must be a list of namespaces`);
    list.forEach((ns: unknown, i) => {
      if (typeof ns !== 'string' || !isDnsLabel(ns)) {
        throw new Error(`kube writer: namespacesByKind.${kind}[${i}] ${JSON.stringify(ns)} is not a namespace name (a DNS-1123 label: lower-case letters, digits, "-", at most 63)`);
      }
    });
    // An empty list is allowed: the kind is then written and listed nowhere (no consumer yet).
    lists.set(kind, [...new Set(list)]);
  }
  return lists;
}

export function namespaceScope(target: string, byKind: NamespacesByKind = {}): NamespaceScope {
  const lists = checkedLists(byKind);
  const targetOnly = [target];
  const allowed = (kind: IstioKind): readonly string[] => lists.get(kind) ?? targetOnly;
  return {
    allowed,
    refusal(kind, namespace) {
      const list = lists.get(kind);
      if (list === undefined) return namespace === target ? undefined : `namespace ${JSON.stringify(namespace)} is not the target namespace ${JSON.stringify(target)}`;
      if (list.includes(namespace)) return undefined;
      const names = list.length === 0 ? 'none' : list.map((n) => JSON.stringify(n)).join(', ');
      return `${kind} may not be written to namespace ${JSON.stringify(namespace)} (allowed for ${kind}: ${names})`;
    },
    pairs: (kinds) => kinds.flatMap((kind) => allowed(kind).map((namespace) => ({ kind, namespace }))),
  };
}
