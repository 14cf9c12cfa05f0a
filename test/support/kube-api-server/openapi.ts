// Just enough OpenAPI v3 for kubectl: it reads /openapi/v3/apis/<group>/<version> to learn
// that PATCH takes `fieldValidation` (then it validates on the server instead of
// downloading the whole OpenAPI v2 document) and to find each kind's paths.
import { createHash } from 'node:crypto';
import { GROUP, SERVED_VERSIONS, typesAt, type ResourceCatalog } from './resources.ts';

const gvPath = (version: string): string => `apis/${GROUP}/${version}`;

function hashOf(catalog: ResourceCatalog, version: string): string {
  return createHash('sha512').update(typesAt(catalog, version).map((t) => t.plural).join(',')).digest('hex').slice(0, 32).toUpperCase();
}

export function openApiRoot(catalog: ResourceCatalog): Record<string, unknown> {
  return { paths: Object.fromEntries(SERVED_VERSIONS.map((v) => [gvPath(v), { serverRelativeURL: `/openapi/v3/${gvPath(v)}?hash=${hashOf(catalog, v)}` }])) };
}

const queryParam = (name: string, description: string) => ({ name, in: 'query', description, schema: { type: 'string', uniqueItems: true } });

export function openApiGroupVersion(catalog: ResourceCatalog, version: string): Record<string, unknown> {
  const groupVersion = `${GROUP}/${version}`;
  const types = typesAt(catalog, version);
  const paths: Record<string, unknown> = {};
  const writeParams = [
    queryParam('dryRun', 'When present, indicates that modifications should not be persisted.'),
    queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
    queryParam('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.'),
  ];
  for (const rt of types) {
    const gvk = { group: GROUP, version, kind: rt.kind };
    const ok = { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${GROUP}.${version}.${rt.kind}` } } } } };
    paths[`/apis/${groupVersion}/namespaces/{namespace}/${rt.plural}`] = {
      get: { operationId: `list${rt.kind}`, responses: ok, 'x-kubernetes-action': 'list', 'x-kubernetes-group-version-kind': gvk },
      post: { operationId: `create${rt.kind}`, parameters: writeParams, responses: ok, 'x-kubernetes-action': 'post', 'x-kubernetes-group-version-kind': gvk },
    };
    paths[`/apis/${groupVersion}/namespaces/{namespace}/${rt.plural}/{name}`] = {
      get: { operationId: `read${rt.kind}`, responses: ok, 'x-kubernetes-action': 'get', 'x-kubernetes-group-version-kind': gvk },
      put: { operationId: `replace${rt.kind}`, parameters: writeParams, responses: ok, 'x-kubernetes-action': 'put', 'x-kubernetes-group-version-kind': gvk },
      patch: {
        operationId: `patch${rt.kind}`,
        parameters: [...writeParams, { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } }],
        responses: ok,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
      },
      delete: { operationId: `delete${rt.kind}`, parameters: [writeParams[0]], responses: ok, 'x-kubernetes-action': 'delete', 'x-kubernetes-group-version-kind': gvk },
    };
  }
  const schemas: Record<string, unknown> = {};
  for (const rt of types) {
    schemas[`${GROUP}.${version}.${rt.kind}`] = {
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: GROUP, version, kind: rt.kind }],
      'x-kubernetes-preserve-unknown-fields': true,
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.31.0' }, paths, components: { schemas } };
}
