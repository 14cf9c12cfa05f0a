// The test API server, driven by the real client (@kubernetes/client-node) and raw HTTP:
// every rule a client can observe — validation (422 with causes), names, resourceVersion,
// 404, selectors, pagination, metadata-only lists, managedFields and server-side apply,
// dry runs, unknown fields, discovery, faults, the request log, and the CLI.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startKubeApiServer, SERVED_VERBS, type JsonObject, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { serviceEntry, workloadEntry } from '../support/kube-api-server/istio-fixtures.ts';

const NS = 'mesh';
const GROUP = { group: 'networking.istio.io', version: 'v1', namespace: NS };
const SE = { ...GROUP, plural: 'serviceentries' };
const WE = { ...GROUP, plural: 'workloadentries' };
const SSA = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

let server: KubeApiServer;
let api: CustomObjectsApi;

beforeAll(async () => {
  server = await startKubeApiServer({ namespace: NS });
  api = server.kubeConfig.makeApiClient(CustomObjectsApi);
});
afterAll(async () => {
  await server.close();
});

type Obj = JsonObject & { metadata: JsonObject & { name: string; resourceVersion: string; generation: number; labels?: Record<string, string>; managedFields?: JsonObject[] }; spec: JsonObject };

/** The Status body of a failed call. */
async function failure(promise: Promise<unknown>): Promise<{ code: number; body: JsonObject; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) return { code: error.code, body: JSON.parse(error.body as string) as JsonObject, headers: error.headers };
    throw error;
  }
  throw new Error('expected the call to fail');
}

function plainSe(name: string, spec: JsonObject = {}, labels: Record<string, string> = {}): JsonObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, labels },
    spec: { hosts: [`${name}.example.internal`], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], ...spec },
  };
}

const get = async (name: string) => (await api.getNamespacedCustomObject({ ...SE, name })) as Obj;
const apply = async (name: string, body: JsonObject, manager = 'sc2mesh', extra: { force?: boolean; dryRun?: string } = {}) =>
  (await api.patchNamespacedCustomObject({ ...SE, name, body, fieldManager: manager, ...extra }, SSA)) as Obj;

describe('discovery', () => {
  it('lists the v1 resources with the verbs served, the way kubectl reads them', async () => {
    const res = await fetch(`${server.url}/apis/networking.istio.io/v1`);
    const doc = (await res.json()) as { kind: string; groupVersion: string; resources: { name: string; kind: string; namespaced: boolean; verbs: string[]; shortNames: string[] }[] };
    expect(doc.kind).toBe('APIResourceList');
    expect(doc.groupVersion).toBe('networking.istio.io/v1');
    expect(doc.resources.map((r) => [r.name, r.kind, r.namespaced, r.shortNames])).toEqual([
      ['serviceentries', 'ServiceEntry', true, ['se']],
      ['workloadentries', 'WorkloadEntry', true, ['we']],
      ['destinationrules', 'DestinationRule', true, ['dr']],
      ['virtualservices', 'VirtualService', true, ['vs']],
      ['sidecars', 'Sidecar', true, []],
    ]);
    for (const r of doc.resources) expect(r.verbs).toEqual([...SERVED_VERBS]);
    expect(SERVED_VERBS).toEqual(expect.arrayContaining(['get', 'list', 'create', 'update', 'patch', 'delete']));
  });

  it('serves /version, /api and /apis, and OpenAPI v3 advertising fieldValidation', async () => {
    const version = (await (await fetch(`${server.url}/version`)).json()) as { major: string; gitVersion: string };
    expect(version.major).toBe('1');
    expect(((await (await fetch(`${server.url}/api`)).json()) as { versions: string[] }).versions).toEqual(['v1']);
    const groups = (await (await fetch(`${server.url}/apis`)).json()) as { groups: { name: string; preferredVersion: { groupVersion: string } }[] };
    expect(groups.groups).toEqual([expect.objectContaining({ name: 'networking.istio.io', preferredVersion: { groupVersion: 'networking.istio.io/v1', version: 'v1' } })]);
    const root = (await (await fetch(`${server.url}/openapi/v3`)).json()) as { paths: Record<string, { serverRelativeURL: string }> };
    const gv = root.paths['apis/networking.istio.io/v1'];
    expect(gv).toBeDefined();
    const doc = JSON.stringify(await (await fetch(`${server.url}${gv?.serverRelativeURL}`)).json());
    expect(doc).toContain('"fieldValidation"');
    expect((await fetch(`${server.url}/apis/other.io/v1`)).status).toBe(404);
  });

  it('lets KubernetesObjectApi (which resolves kinds through discovery) create and read', async () => {
    const objects = KubernetesObjectApi.makeApiClient(server.kubeConfig);
    const spec = { ...plainSe('via-discovery'), metadata: { name: 'via-discovery', namespace: NS } } as { apiVersion: string; kind: string; metadata: { name: string; namespace: string; uid?: string } };
    const created = await objects.create(spec);
    expect(created.metadata.uid).toMatch(/[0-9a-f-]{36}/);
    const read = await objects.read({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'via-discovery', namespace: NS } });
    expect(read.metadata?.name).toBe('via-discovery');
  });
});

describe('create, get, update, delete', () => {
  it('creates with server fields and records the creator in managedFields', async () => {
    const created = (await api.createNamespacedCustomObject({ ...SE, body: plainSe('crud-a', {}, { team: 'x' }), fieldManager: 'tester' })) as Obj;
    expect(created.metadata).toMatchObject({ name: 'crud-a', namespace: NS, generation: 1, labels: { team: 'x' } });
    expect(created.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata['creationTimestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'tester', operation: 'Update', fieldsType: 'FieldsV1' })]);
    const again = await failure(api.createNamespacedCustomObject({ ...SE, body: plainSe('crud-a') }));
    expect(again.code).toBe(409);
    expect(again.body).toMatchObject({ reason: 'AlreadyExists', message: 'serviceentries.networking.istio.io "crud-a" already exists' });
  });

  it('answers a missing object with a NotFound Status', async () => {
    const missing = await failure(api.getNamespacedCustomObject({ ...SE, name: 'nope' }));
    expect(missing.code).toBe(404);
    expect(missing.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'serviceentries.networking.istio.io "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'networking.istio.io', kind: 'serviceentries' },
      code: 404,
    });
    expect((await failure(api.deleteNamespacedCustomObject({ ...SE, name: 'nope' }))).code).toBe(404);
  });

  it('updates with optimistic concurrency: a stale resourceVersion gets 409, generation moves only with spec', async () => {
    await api.createNamespacedCustomObject({ ...SE, body: plainSe('crud-b') });
    const live = await get('crud-b');
    const labelled = (await api.replaceNamespacedCustomObject({ ...SE, name: 'crud-b', body: { ...live, metadata: { ...live.metadata, labels: { a: 'b' } } } })) as Obj;
    expect(Number(labelled.metadata.resourceVersion)).toBeGreaterThan(Number(live.metadata.resourceVersion));
    expect(labelled.metadata.generation).toBe(1);

    const stale = await failure(api.replaceNamespacedCustomObject({ ...SE, name: 'crud-b', body: { ...live, spec: { ...live.spec, location: 'MESH_EXTERNAL' } } }));
    expect(stale.code).toBe(409);
    expect(stale.body).toMatchObject({ reason: 'Conflict', message: expect.stringContaining('the object has been modified; please apply your changes to the latest version and try again') });

    const fresh = (await api.replaceNamespacedCustomObject({ ...SE, name: 'crud-b', body: { ...labelled, spec: { ...labelled.spec, location: 'MESH_EXTERNAL' } } })) as Obj;
    expect(fresh.metadata.generation).toBe(2);
    const unchanged = (await api.replaceNamespacedCustomObject({ ...SE, name: 'crud-b', body: fresh })) as Obj;
    expect(unchanged.metadata.resourceVersion).toBe(fresh.metadata.resourceVersion);

    const noVersion = await failure(api.replaceNamespacedCustomObject({ ...SE, name: 'crud-b', body: { ...fresh, metadata: { name: 'crud-b' } } }));
    expect(noVersion.code).toBe(422);
    expect(noVersion.body['message']).toContain('metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
  });

  it('deletes, honouring uid and resourceVersion preconditions', async () => {
    const created = (await api.createNamespacedCustomObject({ ...SE, body: plainSe('crud-c') })) as Obj;
    const wrongUid = await failure(api.deleteNamespacedCustomObject({ ...SE, name: 'crud-c', body: { preconditions: { uid: 'not-it' } } }));
    expect(wrongUid.code).toBe(409);
    expect(wrongUid.body['message']).toContain('Precondition failed: UID in precondition: not-it');
    const staleRv = await failure(api.deleteNamespacedCustomObject({ ...SE, name: 'crud-c', body: { preconditions: { resourceVersion: '1' } } }));
    expect(staleRv.code).toBe(409);
    const status = (await api.deleteNamespacedCustomObject({
      ...SE,
      name: 'crud-c',
      body: { preconditions: { uid: created.metadata['uid'] as string, resourceVersion: created.metadata.resourceVersion } },
    })) as JsonObject;
    expect(status).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'crud-c', uid: created.metadata['uid'] } });
    expect((await failure(get('crud-c'))).code).toBe(404);
  });

  it('refuses a body whose name or namespace disagrees with the URL', async () => {
    const wrongNs = await failure(api.createNamespacedCustomObject({ ...SE, body: { ...plainSe('crud-d'), metadata: { name: 'crud-d', namespace: 'elsewhere' } } }));
    expect(wrongNs.code).toBe(400);
    expect(wrongNs.body['message']).toBe('the namespace of the provided object does not match the namespace sent on the request');
    const wrongName = await failure(apply('crud-d', plainSe('other-name')));
    expect(wrongName.code).toBe(400);
    expect(wrongName.body['message']).toBe('the name of the object (other-name) does not match the name on the URL (crud-d)');
  });
});

describe('validation', () => {
  it('answers 422 Invalid with causes from the CRD schema and its CEL rules, like a real server', async () => {
    const body = plainSe('both-modes', { workloadSelector: { labels: { app: 'x' } }, endpoints: [{ address: '10.0.0.1' }] });
    const invalid = await failure(api.createNamespacedCustomObject({ ...SE, body }));
    expect(invalid.code).toBe(422);
    expect(invalid.body).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      message: 'ServiceEntry.networking.istio.io "both-modes" is invalid: spec: Invalid value: "object": only one of WorkloadSelector or Endpoints can be set',
      details: { name: 'both-modes', group: 'networking.istio.io', kind: 'ServiceEntry', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "object": only one of WorkloadSelector or Endpoints can be set', field: 'spec' }] },
    });
    expect((await failure(get('both-modes'))).code).toBe(404);
  });

  it('lists every cause, schema and metadata alike', async () => {
    const body = plainSe('Bad_Name', { location: 'SOMEWHERE' }, { 'bad label!': 'v' });
    const invalid = await failure(api.createNamespacedCustomObject({ ...SE, body }));
    expect(invalid.code).toBe(422);
    const causes = (invalid.body['details'] as { causes: { field: string; reason: string }[] }).causes;
    expect(causes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid' }),
        expect.objectContaining({ field: 'metadata.labels', reason: 'FieldValueInvalid' }),
        expect.objectContaining({ field: 'spec.location', reason: 'FieldValueNotSupported' }),
      ]),
    );
    expect(String(invalid.body['message'])).toMatch(/^ServiceEntry\.networking\.istio\.io "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  });

  it('enforces name rules on server-side apply too', async () => {
    const long = `a${'b'.repeat(253)}`;
    const invalid = await failure(apply(long, plainSe(long)));
    expect(invalid.code).toBe(422);
    expect(String(invalid.body['message'])).toContain('must be no more than 253 characters');
  });

  it('prunes unknown fields with a Warning header by default, and refuses them under fieldValidation=Strict', async () => {
    const body = JSON.stringify({ ...plainSe('unknown-a'), spec: { ...(plainSe('unknown-a')['spec'] as JsonObject), bogus: 1 } });
    const res = await fetch(`${server.url}/apis/networking.istio.io/v1/namespaces/${NS}/serviceentries/unknown-a?fieldManager=t`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      body,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('warning')).toBe('299 - "unknown field \\"spec.bogus\\""');
    expect((await get('unknown-a')).spec['bogus']).toBeUndefined();
    const strict = await failure(api.patchNamespacedCustomObject({ ...SE, name: 'unknown-b', body: JSON.parse(body.replaceAll('unknown-a', 'unknown-b')) as JsonObject, fieldManager: 't', fieldValidation: 'Strict' }, SSA));
    expect(strict.code).toBe(400);
    expect(strict.body['message']).toContain('.spec.bogus: field not declared in schema');
  });
});

describe('lists', () => {
  beforeAll(async () => {
    const labels: Record<string, string>[] = [{ tier: 'a', env: 'prod' }, { tier: 'b', env: 'prod' }, { tier: 'c', env: 'dev' }, { tier: 'a' }, { env: 'dev', shard: '3' }, {}, { tier: 'b', env: 'qa' }];
    for (const [i, l] of labels.entries()) await api.createNamespacedCustomObject({ ...WE, body: { ...workloadEntry(`list-${i}`, 'app', `10.1.0.${i}`), metadata: { name: `list-${i}`, labels: { suite: 'lists', ...l } } } });
  });

  const names = async (labelSelector: string) =>
    ((await api.listNamespacedCustomObject({ ...WE, labelSelector: `suite=lists,${labelSelector}` })) as { items: Obj[] }).items.map((i) => i.metadata.name);

  it('filters with every label selector operator', async () => {
    expect(await names('tier=a')).toEqual(['list-0', 'list-3']);
    expect(await names('tier==b')).toEqual(['list-1', 'list-6']);
    expect(await names('tier!=a')).toEqual(['list-1', 'list-2', 'list-4', 'list-5', 'list-6']);
    expect(await names('env in (prod,qa)')).toEqual(['list-0', 'list-1', 'list-6']);
    expect(await names('env notin (prod)')).toEqual(['list-2', 'list-3', 'list-4', 'list-5', 'list-6']);
    expect(await names('env')).toEqual(['list-0', 'list-1', 'list-2', 'list-4', 'list-6']);
    expect(await names('!env')).toEqual(['list-3', 'list-5']);
    expect(await names('shard>2')).toEqual(['list-4']);
    const bad = await failure(api.listNamespacedCustomObject({ ...WE, labelSelector: 'env in ()' }));
    expect(bad.code).toBe(400);
    expect(bad.body['reason']).toBe('BadRequest');
  });

  it('pages with limit/continue: stable tokens, no gaps, no duplicates', async () => {
    const page = (token?: string) =>
      api.listNamespacedCustomObject({ ...WE, labelSelector: 'suite=lists', limit: 3, ...(token === undefined ? {} : { _continue: token }) }) as Promise<{
        metadata: { continue?: string; remainingItemCount?: number; resourceVersion: string };
        items: Obj[];
      }>;
    const first = await page();
    expect(first.items.map((i) => i.metadata.name)).toEqual(['list-0', 'list-1', 'list-2']);
    expect(first.metadata.continue).toBeDefined();
    expect((await page()).metadata.continue).toBe(first.metadata.continue);
    const second = await page(first.metadata.continue);
    const third = await page(second.metadata.continue);
    expect(second.items.map((i) => i.metadata.name)).toEqual(['list-3', 'list-4', 'list-5']);
    expect(third.items.map((i) => i.metadata.name)).toEqual(['list-6']);
    expect(third.metadata.continue).toBeUndefined();
    expect(third.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const unfiltered = (await api.listNamespacedCustomObject({ ...WE, limit: 2 })) as { metadata: { remainingItemCount?: number } };
    expect(unfiltered.metadata.remainingItemCount).toBe(server.store.count('WorkloadEntry') - 2);
    const garbage = await failure(api.listNamespacedCustomObject({ ...WE, _continue: 'not-a-token' }));
    expect(garbage.code).toBe(400);
  });

  it('returns metadata only when asked for PartialObjectMetadataList', async () => {
    const res = await fetch(`${server.url}/apis/networking.istio.io/v1/namespaces/${NS}/workloadentries?labelSelector=suite%3Dlists&limit=2`, {
      headers: { Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json' },
    });
    const list = (await res.json()) as { kind: string; apiVersion: string; metadata: { continue?: string }; items: JsonObject[] };
    expect(list.kind).toBe('PartialObjectMetadataList');
    expect(list.apiVersion).toBe('meta.k8s.io/v1');
    expect(list.metadata.continue).toBeDefined();
    expect(list.items).toHaveLength(2);
    for (const item of list.items) {
      expect(Object.keys(item).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
      expect(item).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { generation: 1 } });
    }
    const notAcceptable = await fetch(`${server.url}/apis/networking.istio.io/v1/namespaces/${NS}/workloadentries`, { headers: { Accept: 'application/xml' } });
    expect(notAcceptable.status).toBe(406);
  });
});

describe('server-side apply', () => {
  it('creates, records the applier, and treats an identical apply as a no-op', async () => {
    const created = await apply('ssa-a', plainSe('ssa-a', {}, { app: 'a' }));
    expect(created.metadata.generation).toBe(1);
    expect(created.metadata.managedFields).toEqual([
      {
        manager: 'sc2mesh',
        operation: 'Apply',
        apiVersion: 'networking.istio.io/v1',
        time: expect.any(String),
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:hosts': {},
            'f:location': {},
            'f:ports': { 'k:{"name":"http"}': { '.': {}, 'f:name': {}, 'f:number': {}, 'f:protocol': {} } },
            'f:resolution': {},
          },
        },
      },
    ]);
    const again = await apply('ssa-a', plainSe('ssa-a', {}, { app: 'a' }));
    expect(again.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it('bumps generation for spec changes only; resourceVersion for every change', async () => {
    const base = await apply('ssa-b', plainSe('ssa-b'));
    const relabelled = await apply('ssa-b', plainSe('ssa-b', {}, { extra: 'x' }));
    expect(relabelled.metadata.generation).toBe(1);
    expect(relabelled.metadata.resourceVersion).not.toBe(base.metadata.resourceVersion);
    const respec = await apply('ssa-b', plainSe('ssa-b', { location: 'MESH_EXTERNAL' }, { extra: 'x' }));
    expect(respec.metadata.generation).toBe(2);
  });

  it('removes fields the applier stopped applying, unless another manager owns them', async () => {
    await apply('ssa-c', plainSe('ssa-c', { exportTo: ['.'] }, { one: '1', two: '2' }));
    await apply('ssa-c', plainSe('ssa-c', { exportTo: ['.'] }, { two: '2' }), 'other-tool');
    const after = await apply('ssa-c', plainSe('ssa-c', {}, {}));
    expect(after.metadata.labels).toEqual({ two: '2' });
    expect(after.spec['exportTo']).toEqual(['.']);
    const managers = (after.metadata.managedFields ?? []).map((m) => m['manager']);
    expect(managers).toEqual(['sc2mesh', 'other-tool']);
  });

  it('merges keyed lists by key: another manager may add a port beside ours', async () => {
    await apply('ssa-d', plainSe('ssa-d'));
    const withTheirs = await apply('ssa-d', { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'ssa-d' }, spec: { ports: [{ number: 9090, name: 'grpc', protocol: 'GRPC' }] } }, 'other-tool');
    expect((withTheirs.spec['ports'] as JsonObject[]).map((p) => p['name'])).toEqual(['http', 'grpc']);
    const ours = await apply('ssa-d', plainSe('ssa-d', { ports: [{ number: 81, name: 'http', protocol: 'HTTP' }] }));
    expect(ours.spec['ports']).toEqual([
      { number: 81, name: 'http', protocol: 'HTTP' },
      { number: 9090, name: 'grpc', protocol: 'GRPC' },
    ]);
  });

  it('drops a keyed-list item the applier no longer applies', async () => {
    await apply('ssa-h', plainSe('ssa-h'));
    const renamed = await apply('ssa-h', plainSe('ssa-h', { ports: [{ number: 8443, name: 'https', protocol: 'HTTPS' }] }));
    expect(renamed.spec['ports']).toEqual([{ number: 8443, name: 'https', protocol: 'HTTPS' }]);
    expect(renamed.metadata.generation).toBe(2);
  });

  it('answers a field owned by another manager with a FieldManagerConflict, unless forced', async () => {
    await apply('ssa-e', plainSe('ssa-e'));
    await api.patchNamespacedCustomObject({ ...SE, name: 'ssa-e', body: { spec: { location: 'MESH_EXTERNAL' } }, fieldManager: 'kubectl-edit' }, MERGE);
    const conflict = await failure(apply('ssa-e', plainSe('ssa-e')));
    expect(conflict.code).toBe(409);
    expect(conflict.body).toMatchObject({
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using networking.istio.io/v1: .spec.location',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit" using networking.istio.io/v1', field: '.spec.location' }] },
    });
    // Applying the value the other manager set is no conflict: the field becomes shared.
    const shared = await apply('ssa-e', plainSe('ssa-e', { location: 'MESH_EXTERNAL' }));
    expect(shared.spec['location']).toBe('MESH_EXTERNAL');
    const forced = await apply('ssa-e', plainSe('ssa-e', { location: 'MESH_INTERNAL' }), 'sc2mesh', { force: true });
    expect(forced.spec['location']).toBe('MESH_INTERNAL');
    expect(JSON.stringify(forced.metadata.managedFields)).not.toContain('kubectl-edit');
  });

  it('checks a resourceVersion in the applied config as a precondition', async () => {
    const live = await apply('ssa-f', plainSe('ssa-f'));
    const stale = await failure(apply('ssa-f', { ...plainSe('ssa-f', { location: 'MESH_EXTERNAL' }), metadata: { name: 'ssa-f', resourceVersion: '1' } }));
    expect(stale.code).toBe(409);
    expect(stale.body['reason']).toBe('Conflict');
    expect(stale.body['details']).not.toHaveProperty('causes');
    const ok = await apply('ssa-f', { ...plainSe('ssa-f', { location: 'MESH_EXTERNAL' }), metadata: { name: 'ssa-f', resourceVersion: live.metadata.resourceVersion } });
    expect(ok.spec['location']).toBe('MESH_EXTERNAL');
  });

  it('requires a field manager, and supports dryRun=All without storing', async () => {
    const noManager = await failure(api.patchNamespacedCustomObject({ ...SE, name: 'ssa-g', body: plainSe('ssa-g') }, SSA));
    expect(noManager.code).toBe(422);
    expect(noManager.body['message']).toContain('fieldManager: Required value: is required for apply patch');
    server.requestLog.clear();
    const dry = await apply('ssa-g', plainSe('ssa-g'), 'sc2mesh', { dryRun: 'All' });
    expect(dry.metadata.name).toBe('ssa-g');
    expect((await failure(get('ssa-g'))).code).toBe(404);
    expect(server.requestLog.entries[0]).toMatchObject({ method: 'PATCH', dryRun: true, mutating: true, status: 201 });
    expect(server.requestLog.summary().mutating).toBe(0);
  });
});

describe('faults, request log and store access', () => {
  beforeEach(() => {
    server.clearFaults();
    server.requestLog.clear();
  });

  it('injects 429 with Retry-After, 5xx and reset connections', async () => {
    server.inject({ error: 429, count: 1, retryAfterSeconds: 2 });
    const throttled = await fetch(`${server.url}/apis/networking.istio.io/v1/namespaces/${NS}/serviceentries`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(await throttled.json()).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 2 } });
    server.inject({ error: 503, count: 1 });
    expect((await fetch(`${server.url}/apis/networking.istio.io/v1/namespaces/${NS}/serviceentries`)).status).toBe(503);
    server.inject({ error: 'reset', count: 1 });
    await expect(fetch(`${server.url}/apis/networking.istio.io/v1/namespaces/${NS}/serviceentries`)).rejects.toThrow('fetch failed');
    expect((await fetch(`${server.url}/apis/networking.istio.io/v1/namespaces/${NS}/serviceentries`)).status).toBe(200);
    expect(server.requestLog.entries.map((e) => e.fault)).toEqual(['429', '503', 'reset', undefined]);
  });

  it('can lose the answer after the write took effect, and add latency to chosen requests', async () => {
    server.inject({ error: 'reset', methods: ['PATCH'], afterEffect: true, count: 1 });
    server.inject({ latencyMs: 20, methods: ['GET'], count: 1 });
    await expect(apply('fault-a', plainSe('fault-a'))).rejects.toThrow();
    expect(server.store.get('ServiceEntry', NS, 'fault-a')).toBeDefined();
    await get('fault-a');
    expect(server.requestLog.entries.map((e) => [e.method, e.fault])).toEqual([
      ['PATCH', 'reset'],
      ['GET', 'latency'],
    ]);
  });

  it('faults only the resource asked for, at the rate asked for', async () => {
    server.inject({ error: 500, resource: 'workloadentries', rate: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await fetch(`${server.url}/apis/networking.istio.io/v1/namespaces/${NS}/workloadentries`)).status);
    const failed = statuses.filter((s) => s === 500).length;
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(32);
    expect((await fetch(`${server.url}/apis/networking.istio.io/v1/namespaces/${NS}/serviceentries`)).status).toBe(200);
    expect(() => server.inject({ rate: 2 })).toThrow('fault rate must be within 0..1 (got 2)');
  });

  it('logs the count and bytes of mutating calls', async () => {
    const a = JSON.stringify(plainSe('log-a'));
    await apply('log-a', plainSe('log-a'));
    await apply('log-a', plainSe('log-a'));
    await get('log-a');
    const summary = server.requestLog.summary();
    expect(summary).toMatchObject({ requests: 3, mutating: 2, mutatingBytes: 2 * Buffer.byteLength(a), dryRuns: 0, faults: 0 });
    expect(server.requestLog.mutating().map((e) => [e.method, e.path, e.query['fieldManager']])).toEqual([
      ['PATCH', `/apis/networking.istio.io/v1/namespaces/${NS}/serviceentries/log-a`, 'sc2mesh'],
      ['PATCH', `/apis/networking.istio.io/v1/namespaces/${NS}/serviceentries/log-a`, 'sc2mesh'],
    ]);
  });

  it('gives tests the store: put as a person would edit, get, list, delete', async () => {
    const applied = await apply('store-a', plainSe('store-a'));
    const edited = server.store.put({ ...(server.store.get('ServiceEntry', NS, 'store-a') as JsonObject), spec: { ...applied.spec, location: 'MESH_EXTERNAL' } }, { manager: 'kubectl-edit' });
    expect((edited['metadata'] as Obj['metadata']).generation).toBe(2);
    expect(Number((edited['metadata'] as Obj['metadata']).resourceVersion)).toBeGreaterThan(Number(applied.metadata.resourceVersion));
    const owners = ((edited['metadata'] as Obj['metadata']).managedFields ?? []).map((m) => [m['manager'], m['operation']]);
    expect(owners).toEqual([
      ['sc2mesh', 'Apply'],
      ['kubectl-edit', 'Update'],
    ]);
    expect(server.store.list('ServiceEntry', NS).some((o) => (o['metadata'] as JsonObject)['name'] === 'store-a')).toBe(true);
    expect(server.store.delete('ServiceEntry', NS, 'store-a')).toBe(true);
    expect(server.store.get('ServiceEntry', NS, 'store-a')).toBeUndefined();
    expect(() => server.store.put({ kind: 'Pod', metadata: { name: 'x' } })).toThrow('store.put: unknown kind Pod');
    const planted = server.store.put(serviceEntry('planted', { namespace: NS }) as unknown as JsonObject);
    expect((planted['metadata'] as JsonObject)['uid']).toBeDefined();
  });
});

describe('kube-test-server CLI', () => {
  const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
  const main = path.join(repoRoot, 'test/support/kube-api-server/main.ts');
  const run = (args: string[]) => spawn(process.execPath, ['--disable-warning=ExperimentalWarning', main, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });

  it('prints a kubeconfig path first, serves it, and stops cleanly on SIGTERM', async () => {
    const child = run(['--port', '0', '--namespace', 'cli-ns']);
    const firstLine = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(out.slice(0, nl));
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    expect(existsSync(firstLine)).toBe(true);
    const kubeconfig = readFileSync(firstLine, 'utf8');
    expect(kubeconfig).toContain('namespace: cli-ns');
    const serverUrl = /server: (http:\/\/127\.0\.0\.1:\d+)/.exec(kubeconfig)?.[1];
    expect(serverUrl).toBeDefined();
    expect((await fetch(`${serverUrl}/version`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(firstLine)).toBe(false);
  }, 20_000);

  it('exits 1 naming the flag and the value on a bad --port', async () => {
    const child = run(['--port', 'abc']);
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(err).toContain('--port');
    expect(err).toContain('"abc"');
  }, 20_000);
});
