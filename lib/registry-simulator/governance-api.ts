// service-center's governance routes (server/resource/gov/gov_resource.go): POST, GET
// (list, or display), GET/PUT/DELETE by id under /v1/{project}/gov/{kind}. Answers are
// 200 with a JSON body, or an empty one for PUT and DELETE; errors are SimErrors.
import type { GovernanceStore } from './governance-store.ts';
import { Codes, SimError } from './sim-error.ts';

export const GOVERNANCE_PATH = /^\/v1\/([^/]+)\/gov\/([^/]+)(?:\/([^/]+))?$/;

export interface GovernanceRequest {
  method: string;
  tenant: string;
  kind: string;
  id: string | undefined;
  query: (name: string) => string | undefined;
  body: () => Promise<unknown>;
}

/** `undefined` body: 200 with nothing; `'method-not-allowed'`: the path exists, the method does not. */
export async function governanceAnswer(store: GovernanceStore, request: GovernanceRequest): Promise<{ body: unknown } | 'method-not-allowed'> {
  const { method, tenant, kind, id } = request;
  const filter = { app: request.query('app'), environment: request.query('environment') };
  if (id === undefined) {
    if (method === 'GET') return { body: kind === 'display' ? store.display(tenant, filter) : store.list(tenant, kind, filter) };
    if (method === 'POST') return { body: { id: store.create(tenant, kind, await readJson(request)) } };
    return 'method-not-allowed';
  }
  if (method === 'GET') return { body: store.get(tenant, kind, id) };
  if (method === 'PUT') {
    store.update(tenant, kind, id, await readJson(request));
    return { body: undefined };
  }
  if (method === 'DELETE') {
    store.delete(tenant, kind, id);
    return { body: undefined };
  }
  return 'method-not-allowed';
}

async function readJson(request: GovernanceRequest): Promise<unknown> {
  const body = await request.body();
  if (body === undefined) throw new SimError(Codes.invalidParams, 'Invalid parameter(s)', 'unexpected end of JSON input');
  return body;
}
