// The thin adapter between the writer and @kubernetes/client-node 2.x: one method per
// API call on networking.istio.io objects, each a single HTTP request (the writer adds
// rate limiting and retries). Every call names its namespace (Sidecars live in their
// consumers' namespaces, EnvoyFilters in the mesh root) and each kind is addressed at its
// own version (RESOURCES: EnvoyFilter v1alpha3, the rest v1). Responses are checked with
// zod at this boundary and reduced to the metadata the writer decides on.
import {
  CustomObjectsApi,
  Observable,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { z } from 'zod';
import { ISTIO_GROUP, ISTIO_KINDS, RESOURCES, type IstioKind } from '../model/istio.ts';
import { parseOrThrow } from '../model/validation.ts';

export { ISTIO_GROUP };
/** The version of every kind but EnvoyFilter; per kind: RESOURCES[kind].version. */
export const ISTIO_VERSION = 'v1';

export const PLURALS: Readonly<Record<IstioKind, string>> = Object.fromEntries(ISTIO_KINDS.map((k) => [k, RESOURCES[k].plural])) as Record<IstioKind, string>;

/** Ask for metadata only: the API server then sends no spec (and far fewer bytes). */
const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

const stringMap = z.record(z.string(), z.string());

const objectMetaSchema = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
});

const objectSchema = z.looseObject({ metadata: objectMetaSchema });

const listMetaSchema = z.looseObject({ continue: z.string().optional(), resourceVersion: z.string().optional() }).optional();

const listSchema = z.looseObject({ metadata: listMetaSchema, items: z.array(objectSchema) });

// The spec is whatever the object holds (anyone may have written it): kept as unknown
// for the caller to read with its own schema.
const fullListSchema = z.looseObject({ metadata: listMetaSchema, items: z.array(z.looseObject({ metadata: objectMetaSchema, spec: z.unknown() })) });

/** What the writer needs to know about an object in the cluster. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  generation: number | undefined;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ListPage {
  items: ObjectMeta[];
  continueToken: string | undefined;
  resourceVersion: string | undefined;
}

/** An object as listed with its content, whoever owns it. */
export interface ListedObject {
  meta: ObjectMeta;
  /** as stored; unknown until the caller checks it */
  spec: unknown;
}

export interface FullListPage {
  items: ListedObject[];
  continueToken: string | undefined;
  resourceVersion: string | undefined;
}

export interface ApplyResult {
  meta: ObjectMeta;
  created: boolean;
  /** Warning headers (e.g. pruned unknown fields) */
  warnings: string[];
}

export interface ClientStats {
  requests: number;
  bytesSent: number;
}

export interface ListOptions {
  /** empty: every object */
  labelSelector: string;
  limit: number;
  continueToken?: string | undefined;
}

export interface IstioObjectsClient {
  readonly stats: ClientStats;
  /** undefined when the object does not exist */
  get(kind: IstioKind, namespace: string, name: string): Promise<ObjectMeta | undefined>;
  listPage(kind: IstioKind, namespace: string, options: ListOptions & { metadataOnly: boolean }): Promise<ListPage>;
  /** one page of full objects (spec included) */
  listFullPage(kind: IstioKind, namespace: string, options: ListOptions): Promise<FullListPage>;
  /** PUT: the whole object as given; its metadata.resourceVersion is the precondition */
  replace(kind: IstioKind, namespace: string, name: string, body: object, options: { fieldManager: string; dryRun: boolean }): Promise<ApplyResult>;
  /** POST: fails with 409 AlreadyExists when the name is taken, whoever holds it */
  create(kind: IstioKind, namespace: string, body: object, options: { fieldManager: string; dryRun: boolean }): Promise<ApplyResult>;
  delete(kind: IstioKind, namespace: string, name: string, options: { uid: string; resourceVersion: string; dryRun: boolean }): Promise<void>;
}

function toMeta(raw: z.infer<typeof objectMetaSchema>, namespace: string): ObjectMeta {
  return {
    name: raw.name,
    namespace: raw.namespace ?? namespace,
    uid: raw.uid ?? '',
    resourceVersion: raw.resourceVersion ?? '',
    generation: raw.generation,
    labels: raw.labels ?? {},
    annotations: raw.annotations ?? {},
  };
}

const passThrough = (response: ResponseContext) => new Observable(Promise.resolve(response));

function middleware(pre: (ctx: RequestContext) => void): ObservableMiddleware {
  return {
    pre: (ctx) => {
      pre(ctx);
      return new Observable(Promise.resolve(ctx));
    },
    post: passThrough,
  };
}

function warningsOf(headers: Record<string, string>): string[] {
  const raw = headers['warning'];
  if (raw === undefined || raw === '') return [];
  // `299 - "text", 299 - "text"`: keep the quoted texts.
  return [...raw.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1'));
}

export interface IstioClientOptions {
  kubeConfig: KubeConfig;
  /** unused: every call names its namespace (kept so callers of the one-namespace client still compile) */
  namespace?: string;
  /** per-request timeout */
  timeoutMs: number;
}

export function createIstioObjectsClient(options: IstioClientOptions): IstioObjectsClient {
  const api = options.kubeConfig.makeApiClient(CustomObjectsApi);
  const stats: ClientStats = { requests: 0, bytesSent: 0 };
  // client-node builds a new TLS agent per request when the cluster has a CA; keeping the
  // first one reuses its connections instead of opening one per call.
  let dispatcher: ReturnType<RequestContext['getDispatcher']>;
  const common = middleware((ctx) => {
    stats.requests++;
    const body = ctx.getBody();
    if (typeof body === 'string') stats.bytesSent += Buffer.byteLength(body);
    ctx.setSignal(AbortSignal.timeout(options.timeoutMs));
    const d = ctx.getDispatcher();
    if (d !== undefined) {
      dispatcher ??= d;
      if (d !== dispatcher) ctx.setDispatcher(dispatcher);
    }
  });
  const withHeaders = (headers: Record<string, string>): ConfigurationOptions => ({
    middleware: [common, middleware((ctx) => Object.entries(headers).forEach(([k, v]) => ctx.setHeaderParam(k, v)))],
    middlewareMergeStrategy: 'append',
  });
  const plain: ConfigurationOptions = { middleware: [common], middlewareMergeStrategy: 'append' };
  const target = (kind: IstioKind, namespace: string) => ({ group: ISTIO_GROUP, version: RESOURCES[kind].version, namespace, plural: RESOURCES[kind].plural });
  const listParams = (kind: IstioKind, namespace: string, o: ListOptions) => ({
    ...target(kind, namespace),
    ...(o.labelSelector === '' ? {} : { labelSelector: o.labelSelector }),
    limit: o.limit,
    ...(o.continueToken === undefined ? {} : { _continue: o.continueToken }),
  });
  const continueOf = (meta: z.infer<typeof listMetaSchema>) => (meta?.continue === '' ? undefined : meta?.continue);

  return {
    stats,
    async get(kind, namespace, name) {
      try {
        const raw: unknown = await api.getNamespacedCustomObject({ ...target(kind, namespace), name }, withHeaders({ Accept: METADATA_ACCEPT }));
        return toMeta(parseOrThrow(objectSchema, raw, `${kind} ${namespace}/${name}`).metadata, namespace);
      } catch (error) {
        if ((error as { code?: unknown }).code === 404) return undefined;
        throw error;
      }
    },
    async listPage(kind, namespace, o) {
      const raw: unknown = await api.listNamespacedCustomObject(listParams(kind, namespace, o), o.metadataOnly ? withHeaders({ Accept: METADATA_LIST_ACCEPT }) : plain);
      const list = parseOrThrow(listSchema, raw, `${kind} list in ${namespace}`);
      return { items: list.items.map((i) => toMeta(i.metadata, namespace)), continueToken: continueOf(list.metadata), resourceVersion: list.metadata?.resourceVersion };
    },
    async listFullPage(kind, namespace, o) {
      const raw: unknown = await api.listNamespacedCustomObject(listParams(kind, namespace, o), plain);
      const list = parseOrThrow(fullListSchema, raw, `${kind} list in ${namespace}`);
      return {
        items: list.items.map((i) => ({ meta: toMeta(i.metadata, namespace), spec: i.spec })),
        continueToken: continueOf(list.metadata),
        resourceVersion: list.metadata?.resourceVersion,
      };
    },
    async replace(kind, namespace, name, body, o) {
      const info = await api.replaceNamespacedCustomObjectWithHttpInfo({ ...target(kind, namespace), name, body, fieldManager: o.fieldManager, ...(o.dryRun ? { dryRun: 'All' } : {}) }, plain);
      const parsed = parseOrThrow(objectSchema, info.data, `${kind} ${namespace}/${name}`);
      return { meta: toMeta(parsed.metadata, namespace), created: false, warnings: warningsOf(info.headers) };
    },
    async create(kind, namespace, body, o) {
      const info = await api.createNamespacedCustomObjectWithHttpInfo({ ...target(kind, namespace), body, fieldManager: o.fieldManager, ...(o.dryRun ? { dryRun: 'All' } : {}) }, plain);
      const parsed = parseOrThrow(objectSchema, info.data, `${kind} ${namespace}`);
      return { meta: toMeta(parsed.metadata, namespace), created: true, warnings: warningsOf(info.headers) };
    },
    async delete(kind, namespace, name, o) {
      await api.deleteNamespacedCustomObject(
        {
          ...target(kind, namespace),
          name,
          body: { preconditions: { uid: o.uid, resourceVersion: o.resourceVersion }, ...(o.dryRun ? { dryRun: ['All'] } : {}) },
          ...(o.dryRun ? { dryRun: 'All' } : {}),
        },
        plain,
      );
    },
  };
}
