// service-center's governance rules: `GET /v1/{project}/gov/{kind}?environment=all` for
// each kind (environment=all, or the server adds an empty environment label to the
// query), through the same request path as every registry call (auth, failover,
// breakers, retries). Bodies are handed over as parsed, unvalidated: lib/governance/
// rules.ts judges them rule by rule. A kind the server does not serve (404: an older
// server without the governance API) is reported, and is unknown rather than empty.
import { GOVERNANCE_KINDS, type GovernanceKind } from '../governance/kinds.ts';
import { isRegistryError } from './errors.ts';
import type { RegistryHttp } from './registry-http.ts';

export interface UnavailableKind {
  kind: GovernanceKind;
  status: number;
  message: string;
}

export interface GovernanceListing {
  /** each kind's JSON body, a bare array from a conforming server; undefined for an empty body */
  lists: Partial<Record<GovernanceKind, unknown>>;
  /** kinds the server answered 404 for: their rules are unknown, not absent */
  unavailable: UnavailableKind[];
}

export async function listGovernance(http: RegistryHttp, kinds: readonly GovernanceKind[] = GOVERNANCE_KINDS, options: { signal?: AbortSignal } = {}): Promise<GovernanceListing> {
  const listing: GovernanceListing = { lists: {}, unavailable: [] };
  const answers = await Promise.all(
    kinds.map(async (kind) => {
      try {
        const answer = await http.request({
          method: 'GET',
          path: `/v1/${encodeURIComponent(http.project)}/gov/${encodeURIComponent(kind)}`,
          query: { environment: 'all' },
          idempotent: true,
          signal: options.signal,
        });
        return { ok: true as const, kind, json: answer.json };
      } catch (error) {
        if (isRegistryError(error) && error.status === 404) return { ok: false as const, unavailable: { kind, status: 404, message: error.message } };
        throw error;
      }
    }),
  );
  // In the order asked, whatever order the answers came in.
  for (const answer of answers) {
    if (!answer.ok) listing.unavailable.push(answer.unavailable);
    else listing.lists[answer.kind] = answer.json;
  }
  return listing;
}
