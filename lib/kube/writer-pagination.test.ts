// The writer's paginated lists when a continue token expires (410 Expired: the server's
// history moved on while the list was paged): the list starts again from the first page,
// keeps nothing of the interrupted pass, and gives up after two restarts.
import { describe, it, expect } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClusterWriter } from './writer.ts';
import type { IstioObjectsClient, ListOptions, ListPage, ObjectMeta } from './istio-client.ts';
import { MANAGED_BY_LABEL, SOURCE_LABEL } from '../model/ownership.ts';

const NS = 'mesh';
const SOURCE = 'sc';

const meta = (name: string): ObjectMeta => ({
  name,
  namespace: NS,
  uid: `uid-${name}`,
  resourceVersion: '1',
  generation: 1,
  labels: { [MANAGED_BY_LABEL]: 'sc2mesh', [SOURCE_LABEL]: SOURCE },
  annotations: {},
});

/** What client-node throws for an HTTP error: a code, the raw body, the headers. */
const expired = (): Error =>
  Object.assign(new Error('HTTP 410'), {
    code: 410,
    body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'The provided continue parameter is too old' }),
    headers: {},
  });

/** Two pages of ServiceEntries (a, b | c); a request with a continue token expires the first `expiries` times. */
function pagedClient(expiries: number): { client: IstioObjectsClient; calls: (string | undefined)[] } {
  const calls: (string | undefined)[] = [];
  let left = expiries;
  const page = (o: ListOptions): ListPage => {
    calls.push(o.continueToken);
    if (o.continueToken === undefined) return { items: [meta('a'), meta('b')], continueToken: 'next', resourceVersion: '7' };
    if (left > 0) {
      left--;
      throw expired();
    }
    return { items: [meta('c')], continueToken: undefined, resourceVersion: '7' };
  };
  const unused = (): never => {
    throw new Error('not used by a list');
  };
  const client: IstioObjectsClient = {
    stats: { requests: 0, bytesSent: 0 },
    get: unused,
    replace: unused,
    create: unused,
    delete: unused,
    listPage: async (_kind, _ns, o) => page(o),
    listFullPage: async (_kind, _ns, o) => {
      const p = page(o);
      return { ...p, items: p.items.map((m) => ({ meta: m, spec: {} })) };
    },
  };
  return { client, calls };
}

const writer = (client: IstioObjectsClient): KubeClusterWriter =>
  new KubeClusterWriter({ kubeConfig: new KubeConfig(), namespace: NS, source: SOURCE, kinds: ['ServiceEntry'], client, rateLimit: { qps: 0, burst: 0 }, retry: { maxAttempts: 1 } });

describe('a list whose continue token expires', () => {
  it('starts again from the first page and keeps each object once (owned listing)', async () => {
    const { client, calls } = pagedClient(1);
    const w = writer(client);
    const listed = await w.listOwned();
    expect(listed.map((o) => o.name)).toEqual(['a', 'b', 'c']);
    expect(calls).toEqual([undefined, 'next', undefined, 'next']);
    expect(w.metrics.listPages).toBe(4);
  });

  it('does the same for full lists of whoever owns them', async () => {
    const { client, calls } = pagedClient(2);
    const listed = await writer(client).listObjects('ServiceEntry', NS);
    expect(listed.map((o) => o.meta.name)).toEqual(['a', 'b', 'c']);
    expect(calls).toEqual([undefined, 'next', undefined, 'next', undefined, 'next']);
  });

  it('gives up after two restarts with the server\'s error', async () => {
    const { client, calls } = pagedClient(3);
    await expect(writer(client).listOwned()).rejects.toMatchObject({ code: 410 });
    expect(calls).toHaveLength(6);
  });
});
