// The thin adapter between the writer and @kubernetes/client-node 2.x: one method per
// API call on networking.istio.io/v1 objects in one namespace, each a single HTTP
// request (the writer adds rate limiting and retries). Responses are checked with zod at
// this boundary and reduced to the metadata the writer decides on.
import {
  CustomObjectsApi,
  Observable,
  PatchStrategy,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { z } from 'zod';
import type { IstioKind } from '../model/istio.ts';
import { parseOrThrow } from '../model/validation.ts';

export const ISTIO_GROUP = 'networking.istio.io';
export const ISTIO_VERSION = 'v1';

export const PLURALS: Readonly<Record<IstioKind, string>> = {
  ServiceEntry: 'serviceentries',
  WorkloadEntry: 'workloadentries',
  DestinationRule: 'destinationrules',
  VirtualService: 'virtualservices',
};

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

const listSchema = z.looseObject({
  metadata: z.looseObject({ continue: z.string().optional(), resourceVersion: z.string().optional() }).optional(),
  items: z.array(objectSchema),
});

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

export interface IstioObjectsClient {
  readonly namespace: string;
  readonly stats: ClientStats;
  /** undefined when the object does not exist */
  get(kind: IstioKind, name: string): Promise<ObjectMeta | undefined>;
  listPage(kind: IstioKind, options: { labelSelector: string; limit: number; continueToken?: string | undefined; metadataOnly: boolean }): Promise<ListPage>;
  apply(kind: IstioKind, name: string, body: object, options: { fieldManager: string; force: boolean; dryRun: boolean }): Promise<ApplyResult>;
  /** PUT: the whole object as given; its metadata.resourceVersion is the precondition */
  replace(kind: IstioKind, name: string, body: object, options: { fieldManager: string; dryRun: boolean }): Promise<ApplyResult>;
  delete(kind: IstioKind, name: string, options: { uid: string; resourceVersion: string; dryRun: boolean }): Promise<void>;
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
  namespace: string;
  /** per-request timeout */
  timeoutMs: number;
}

export function createIstioObjectsClient(options: IstioClientOptions): IstioObjectsClient {
  const api = options.kubeConfig.makeApiClient(CustomObjectsApi);
  const namespace = options.namespace;
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
  const target = (kind: IstioKind) => ({ group: ISTIO_GROUP, version: ISTIO_VERSION, namespace, plural: PLURALS[kind] });

  return {
    namespace,
    stats,
    async get(kind, name) {
      try {
        const raw: unknown = await api.getNamespacedCustomObject({ ...target(kind), name }, withHeaders({ Accept: METADATA_ACCEPT }));
        return toMeta(parseOrThrow(objectSchema, raw, `${kind} ${name}`).metadata, namespace);
      } catch (error) {
        if ((error as { code?: unknown }).code === 404) return undefined;
        throw error;
      }
    },
    async listPage(kind, o) {
      const raw: unknown = await api.listNamespacedCustomObject(
        {
          ...target(kind),
          labelSelector: o.labelSelector,
          limit: o.limit,
          ...(o.continueToken === undefined ? {} : { _continue: o.continueToken }),
        },
        o.metadataOnly ? withHeaders({ Accept: METADATA_LIST_ACCEPT }) : plain,
      );
      const list = parseOrThrow(listSchema, raw, `${kind} list`);
      return {
        items: list.items.map((i) => toMeta(i.metadata, namespace)),
        continueToken: list.metadata?.continue === '' ? undefined : list.metadata?.continue,
        resourceVersion: list.metadata?.resourceVersion,
      };
    },
    async apply(kind, name, body, o) {
      const info = await api.patchNamespacedCustomObjectWithHttpInfo(
        { ...target(kind), name, body, fieldManager: o.fieldManager, force: o.force, ...(o.dryRun ? { dryRun: 'All' } : {}) },
        // client-node picks a JSON patch type for custom objects; server-side apply needs its own.
        withHeaders({ 'Content-Type': PatchStrategy.ServerSideApply }),
      );
      const parsed = parseOrThrow(objectSchema, info.data, `${kind} ${name}`);
      return { meta: toMeta(parsed.metadata, namespace), created: info.httpStatusCode === 201, warnings: warningsOf(info.headers) };
    },
    async replace(kind, name, body, o) {
      const info = await api.replaceNamespacedCustomObjectWithHttpInfo({ ...target(kind), name, body, fieldManager: o.fieldManager, ...(o.dryRun ? { dryRun: 'All' } : {}) }, plain);
      const parsed = parseOrThrow(objectSchema, info.data, `${kind} ${name}`);
      return { meta: toMeta(parsed.metadata, namespace), created: false, warnings: warningsOf(info.headers) };
    },
    async delete(kind, name, o) {
      await api.deleteNamespacedCustomObject(
        {
          ...target(kind),
          name,
          body: { preconditions: { uid: o.uid, resourceVersion: o.resourceVersion }, ...(o.dryRun ? { dryRun: ['All'] } : {}) },
          ...(o.dryRun ? { dryRun: 'All' } : {}),
        },
        plain,
      );
    },
  };
}
