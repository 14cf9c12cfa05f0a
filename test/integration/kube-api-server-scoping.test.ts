// The test API server's Sidecars (networking.istio.io/v1) and EnvoyFilters (v1alpha3),
// through the real client and raw HTTP: discovery at each kind's version, CRUD, label
// selectors, server-side apply, and validation against the real CRDs (schema and CEL) —
// including the local rate-limit EnvoyFilter governance renders today.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiException, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { governanceOptionsOf, governRegistry } from '../../lib/governance/index.ts';
import { loadIstioValidator } from '../../lib/istio-validator/index.ts';
import { apiVersionOf, type EnvoyFilter } from '../../lib/model/istio.ts';
import { resolveRenderOptions } from '../../lib/render/options.ts';
import { renderRegistry } from '../../lib/render/render-registry.ts';
import { group, rule, ruleSet } from '../support/governance-rules.ts';
import { startKubeApiServer, type JsonObject, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { detail, instance, service } from '../support/registry-builders.ts';

const SIDECARS = { group: 'networking.istio.io', version: 'v1', namespace: 'shop', plural: 'sidecars' };
const FILTERS = { group: 'networking.istio.io', version: 'v1alpha3', namespace: 'istio-system', plural: 'envoyfilters' };
const SSA = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

let server: KubeApiServer;
let api: CustomObjectsApi;

beforeAll(async () => {
  server = await startKubeApiServer({ namespace: 'shop' });
  api = server.kubeConfig.makeApiClient(CustomObjectsApi);
});
afterAll(async () => {
  await server.close();
});

type Obj = JsonObject & { apiVersion: string; metadata: JsonObject & { name: string; resourceVersion: string; generation: number; managedFields?: JsonObject[] }; spec: JsonObject };

async function failure(promise: Promise<unknown>): Promise<{ code: number; body: JsonObject }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) return { code: error.code, body: JSON.parse(error.body as string) as JsonObject };
    throw error;
  }
  throw new Error('expected the call to fail');
}

function sidecarBody(name: string, labels: Record<string, string> = {}, selector: Record<string, string> = { app: name }): JsonObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name, labels }, spec: { workloadSelector: { labels: selector }, egress: [{ hosts: ['istio-system/*', './*'] }] } };
}

function filterBody(name: string, spec: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name },
    spec: { configPatches: [{ applyTo: 'HTTP_FILTER', match: { context: 'SIDECAR_OUTBOUND' }, patch: { operation: 'INSERT_BEFORE', value: { name: 'x', typed_config: { '@type': 'type.googleapis.com/y', a: { b: 1 } } } } }], ...spec },
  };
}

/** The rate-limit EnvoyFilter exactly as the render (`sc2mesh render --governance`) builds it. */
function renderedRateLimitFilter(): EnvoyFilter {
  const render = resolveRenderOptions({ namespace: 'sc2mesh', source: 'registry-a' });
  const registry = [detail(service({ appId: 'shop', serviceName: 'orders', environment: 'production', version: '1.0.0' }), [instance({ endpoints: ['rest://10.0.0.1:8080', 'rest://10.0.0.1:8081'] })])];
  const rules = ruleSet([group('api', [{ apiPath: { prefix: '/api' } }]), group('all', [{ name: 'all' }]), rule('rate-limiting', 'api', { rate: 100 }), rule('rate-limiting', 'all', { rate: 5, limitRefreshPeriod: '10s' })]);
  const [filter] = governRegistry(renderRegistry(registry, render), { rules, options: governanceOptionsOf(render, { rateLimiting: true }) }).envoyFilters;
  if (filter === undefined) throw new Error('no EnvoyFilter rendered');
  return filter;
}

describe('discovery', () => {
  it('serves sidecars at v1 and envoyfilters at v1alpha3 only, with v1 preferred', async () => {
    const groups = (await (await fetch(`${server.url}/apis`)).json()) as { groups: { name: string; versions: { version: string }[]; preferredVersion: { version: string } }[] };
    expect(groups.groups[0]?.versions.map((v) => v.version)).toEqual(['v1', 'v1alpha3']);
    expect(groups.groups[0]?.preferredVersion.version).toBe('v1');
    const v1 = (await (await fetch(`${server.url}/apis/networking.istio.io/v1`)).json()) as { resources: { name: string; kind: string }[] };
    expect(v1.resources.map((r) => r.name)).toContain('sidecars');
    expect(v1.resources.map((r) => r.name)).not.toContain('envoyfilters');
    const alpha = (await (await fetch(`${server.url}/apis/networking.istio.io/v1alpha3`)).json()) as { groupVersion: string; resources: { name: string; kind: string; verbs: string[] }[] };
    expect(alpha.groupVersion).toBe('networking.istio.io/v1alpha3');
    expect(alpha.resources.map((r) => [r.name, r.kind])).toEqual([['envoyfilters', 'EnvoyFilter']]);
    expect((await fetch(`${server.url}/apis/networking.istio.io/v1/namespaces/istio-system/envoyfilters`)).status).toBe(404);
    expect((await fetch(`${server.url}/apis/networking.istio.io/v1alpha3/namespaces/shop/sidecars`)).status).toBe(404);
    const root = (await (await fetch(`${server.url}/openapi/v3`)).json()) as { paths: Record<string, { serverRelativeURL: string }> };
    const doc = JSON.stringify(await (await fetch(`${server.url}${root.paths['apis/networking.istio.io/v1alpha3']?.serverRelativeURL ?? '/none'}`)).json());
    expect(doc).toContain('/apis/networking.istio.io/v1alpha3/namespaces/{namespace}/envoyfilters/{name}');
  });

  it('lets KubernetesObjectApi (which resolves kinds through discovery) create and read both kinds', async () => {
    const objects = KubernetesObjectApi.makeApiClient(server.kubeConfig);
    type Spec = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; uid?: string } };
    const sc = await objects.create({ ...sidecarBody('via-discovery'), metadata: { name: 'via-discovery', namespace: 'shop' } } as unknown as Spec);
    const ef = await objects.create({ ...filterBody('via-discovery'), metadata: { name: 'via-discovery', namespace: 'istio-system' } } as unknown as Spec);
    expect([sc.metadata.uid, ef.metadata.uid]).toEqual([expect.stringMatching(/[0-9a-f-]{36}/), expect.stringMatching(/[0-9a-f-]{36}/)]);
    const read = await objects.read({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'via-discovery', namespace: 'istio-system' } });
    expect(read.metadata?.name).toBe('via-discovery');
  });
});

describe('create, list, apply, delete', () => {
  it('creates, lists by label selector, updates and deletes Sidecars', async () => {
    await api.createNamespacedCustomObject({ ...SIDECARS, body: sidecarBody('cart', { tier: 'web' }) });
    await api.createNamespacedCustomObject({ ...SIDECARS, body: sidecarBody('orders', { tier: 'api' }) });
    const web = (await api.listNamespacedCustomObject({ ...SIDECARS, labelSelector: 'tier=web' })) as { kind: string; apiVersion: string; items: Obj[] };
    expect(web).toMatchObject({ kind: 'SidecarList', apiVersion: 'networking.istio.io/v1' });
    expect(web.items.map((o) => o.metadata.name)).toEqual(['cart']);
    const live = (await api.getNamespacedCustomObject({ ...SIDECARS, name: 'cart' })) as Obj;
    const updated = (await api.replaceNamespacedCustomObject({ ...SIDECARS, name: 'cart', body: { ...live, spec: { ...live.spec, egress: [{ hosts: ['./*'] }] } } })) as Obj;
    expect(updated.metadata.generation).toBe(2);
    await api.deleteNamespacedCustomObject({ ...SIDECARS, name: 'orders' });
    expect((await failure(api.getNamespacedCustomObject({ ...SIDECARS, name: 'orders' }))).code).toBe(404);
  });

  it('server-side applies EnvoyFilters at v1alpha3, conflicts named with that version', async () => {
    const applied = (await api.patchNamespacedCustomObject({ ...FILTERS, name: 'rl', body: filterBody('rl'), fieldManager: 'sc2mesh' }, SSA)) as Obj;
    expect(applied.apiVersion).toBe('networking.istio.io/v1alpha3');
    expect(applied.metadata.managedFields?.map((m) => [m['manager'], m['apiVersion']])).toEqual([['sc2mesh', 'networking.istio.io/v1alpha3']]);
    // The patch value keeps every field: the CRD preserves unknown fields there.
    expect(applied.spec).toEqual(filterBody('rl')['spec']);
    await api.patchNamespacedCustomObject({ ...FILTERS, name: 'rl', body: { spec: { priority: 5 } }, fieldManager: 'kubectl-edit' }, MERGE);
    const conflict = await failure(api.patchNamespacedCustomObject({ ...FILTERS, name: 'rl', body: filterBody('rl', { priority: 1 }), fieldManager: 'sc2mesh' }, SSA));
    expect(conflict.code).toBe(409);
    expect(conflict.body['message']).toBe('Apply failed with 1 conflict: conflict with "kubectl-edit" using networking.istio.io/v1alpha3: .spec.priority');
    const wrongVersion = await failure(api.createNamespacedCustomObject({ ...FILTERS, body: { ...filterBody('v1-body'), apiVersion: 'networking.istio.io/v1' } }));
    expect(wrongVersion.code).toBe(400);
    expect(wrongVersion.body['message']).toContain('does not match the expected API version (networking.istio.io/v1alpha3)');
  });
});

describe('validation against the real CRDs', () => {
  const validator = loadIstioValidator({ quiet: true });
  const cel = validator.celEnabled ? it : it.skip;

  cel('refuses a wildcard in a Sidecar selector and both targetRefs and workloadSelector on an EnvoyFilter (CEL)', async () => {
    const wildcard = await failure(api.createNamespacedCustomObject({ ...SIDECARS, body: sidecarBody('wild', {}, { app: '*' }) }));
    expect(wildcard.code).toBe(422);
    expect(wildcard.body['message']).toContain('wildcard is not supported in selector');
    const both = await failure(api.createNamespacedCustomObject({ ...FILTERS, body: filterBody('both', { workloadSelector: { labels: { app: 'x' } }, targetRefs: [{ kind: 'Gateway', name: 'g' }] }) }));
    expect(both.code).toBe(422);
    expect(both.body['message']).toContain('only one of targetRefs or workloadSelector can be set');
  });

  it('refuses values the schema forbids, with the field named', async () => {
    const mode = await failure(api.createNamespacedCustomObject({ ...SIDECARS, body: { ...sidecarBody('bad-mode'), spec: { egress: [{ hosts: ['./*'], captureMode: 'SOMETIMES' }] } } }));
    expect(mode.code).toBe(422);
    expect(mode.body['message']).toContain('spec.egress[0].captureMode: Unsupported value: "SOMETIMES"');
  });

  it('holds each kind to the apiVersion it is served at', () => {
    const { causes } = validator.validate({ ...filterBody('x'), apiVersion: 'networking.istio.io/v1', metadata: { name: 'x', namespace: 'istio-system' } });
    expect(causes.map((c) => c.message)).toEqual(['apiVersion: Invalid value: "networking.istio.io/v1": must be networking.istio.io/v1alpha3']);
    expect(apiVersionOf('EnvoyFilter')).toBe('networking.istio.io/v1alpha3');
    expect(apiVersionOf('Sidecar')).toBe('networking.istio.io/v1');
  });

  it("accepts governance's rate-limit EnvoyFilter as rendered today: validator (strict) and server, nothing pruned", async () => {
    const filter = renderedRateLimitFilter();
    expect(validator.validate(filter, { strictUnknownFields: true })).toEqual({ causes: [], warnings: [] });
    server.requestLog.clear();
    const stored = (await api.patchNamespacedCustomObject({ ...FILTERS, name: filter.metadata.name, body: filter, fieldManager: 'sc2mesh', fieldValidation: 'Strict' }, SSA)) as Obj;
    expect(server.requestLog.entries.map((e) => e.status)).toEqual([201]);
    expect(stored.spec).toEqual(filter.spec);
    expect(stored.metadata['labels']).toEqual(filter.metadata.labels);
    expect(server.store.get('EnvoyFilter', 'istio-system', filter.metadata.name)?.['spec']).toEqual(filter.spec);
  });
});
