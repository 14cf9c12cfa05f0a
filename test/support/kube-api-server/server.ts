// A validating Kubernetes API server for tests: plain HTTP on 127.0.0.1, reached through
// a kubeconfig by the real client (or kubectl). It serves networking.istio.io/v1
// serviceentries, workloadentries, destinationrules, virtualservices and sidecars, and
// networking.istio.io/v1alpha3 envoyfilters, with the semantics a client can
// observe on EKS — validation against the real CRDs and CEL rules (422 with causes),
// resourceVersion conflicts, managedFields and server-side apply conflicts, label
// selectors, pagination, metadata-only lists — plus fault injection and a request log.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import type { IstioKind } from '../../../lib/model/istio.ts';
import { loadIstioValidator, type IstioValidator } from '../../../lib/istio-validator/index.ts';
import { apiGroupDoc, apiGroupList, apiResourceList, coreApiVersions, coreResourceList, namespaceList, namespaceObject, versionInfo } from './discovery.ts';
import { openApiGroupVersion, openApiRoot } from './openapi.ts';
import { FaultInjector, type FaultDecision, type FaultSpec } from './faults.ts';
import { clone, type JsonObject } from './field-sets.ts';
import { kubeconfigYaml } from './kubeconfig.ts';
import { RequestLog, isMutatingMethod } from './request-log.ts';
import { parseBody, ResourceHandlers, type FieldValidation, type MetadataView, type Reply, type WriteOptions } from './resource-handlers.ts';
import { GROUP, loadResourceCatalog, SERVED_VERSIONS, type ResourceCatalog, type ResourceType } from './resources.ts';
import { ApiError, statusErrors } from './status.ts';
import { ObjectStore } from './store.ts';

export type { FaultSpec, InjectedError } from './faults.ts';
export type { RequestLogEntry, RequestLogSummary } from './request-log.ts';
export { RequestLog } from './request-log.ts';

/** The part of the istio-validator the server uses; injectable for tests of the server itself. */
export type ObjectValidator = Pick<IstioValidator, 'validate'>;

export interface KubeApiServerOptions {
  /** default 0 (any free port); the server always listens on 127.0.0.1 */
  port?: number;
  /** the kubeconfig context's namespace; default `default` */
  namespace?: string;
  /** default: the istio-validator over ../shared's CRDs */
  validator?: ObjectValidator;
  sharedDir?: string;
  /** where to write the kubeconfig; default a fresh temp folder, removed on close */
  kubeconfigPath?: string;
  /** bearer token written to the kubeconfig; default `sc2mesh-test-token` */
  token?: string;
  /** accept or refuse (401) a request by its Authorization header; default: accept all */
  authenticate?: (authorization: string | undefined) => boolean;
  /** seed of the fault generator (default 1) */
  seed?: number;
  now?: () => Date;
}

/** Direct access to the stored objects, bypassing HTTP: to play a person or another tool. */
export interface StoreAccess {
  get(kind: IstioKind, namespace: string, name: string): JsonObject | undefined;
  list(kind: IstioKind, namespace?: string): JsonObject[];
  /**
   * Creates or replaces an object. With `manager`, ownership is recorded as an update by
   * that manager (e.g. `kubectl-edit`), the way an edit by hand would; `validate` runs the
   * server's checks first (default false: tests may plant anything).
   */
  put(obj: JsonObject, options?: { manager?: string; validate?: boolean }): JsonObject;
  delete(kind: IstioKind, namespace: string, name: string): boolean;
  count(kind: IstioKind): number;
  readonly resourceVersion: string;
}

export interface KubeApiServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly kubeconfigPath: string;
  /** a client-node KubeConfig for this server */
  readonly kubeConfig: KubeConfig;
  readonly requestLog: RequestLog;
  readonly store: StoreAccess;
  inject(fault: FaultSpec): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const PARTIAL_LIST = 'PartialObjectMetadataList';
const PARTIAL = 'PartialObjectMetadata';
const MAX_BODY_BYTES = 3 * 1024 * 1024;

interface Route {
  kind: 'discovery' | 'resource' | 'none';
  rt?: ResourceType;
  namespace?: string;
  name?: string;
  discovery?: () => unknown;
}

function route(pathname: string, catalog: ResourceCatalog, hostPort: string, namespaces: () => string[]): Route {
  const parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  const joined = `/${parts.join('/')}`;
  const discovery: Record<string, () => unknown> = {
    '/version': versionInfo,
    '/api': () => coreApiVersions(hostPort),
    '/api/v1': coreResourceList,
    '/api/v1/namespaces': () => namespaceList(namespaces()),
    '/apis': apiGroupList,
    [`/apis/${GROUP}`]: apiGroupDoc,
    '/openapi/v3': () => openApiRoot(catalog),
  };
  for (const version of SERVED_VERSIONS) {
    discovery[`/apis/${GROUP}/${version}`] = () => apiResourceList(catalog, version);
    discovery[`/openapi/v3/apis/${GROUP}/${version}`] = () => openApiGroupVersion(catalog, version);
  }
  const doc = discovery[joined];
  if (doc !== undefined) return { kind: 'discovery', discovery: doc };
  if (parts.length === 4 && joined.startsWith('/api/v1/namespaces/')) {
    const ns = parts[3] as string;
    return { kind: 'discovery', discovery: () => namespaceObject(ns) };
  }
  if (parts[0] !== 'apis' || parts[1] !== GROUP) return { kind: 'none' };
  const version = parts[2];
  // A resource is found only at the version it is served at (a v1 envoyfilters path is a 404, as on a cluster).
  const served = (plural: string | undefined): ResourceType | undefined => {
    const rt = plural === undefined ? undefined : catalog.byPlural.get(plural);
    return rt?.version === version ? rt : undefined;
  };
  const rest = parts.slice(3);
  if (rest.length === 1) {
    const rt = served(rest[0]);
    return rt === undefined ? { kind: 'none' } : { kind: 'resource', rt };
  }
  if (rest[0] === 'namespaces' && (rest.length === 3 || rest.length === 4)) {
    const rt = served(rest[2]);
    if (rt === undefined) return { kind: 'none' };
    return { kind: 'resource', rt, namespace: rest[1] as string, ...(rest.length === 4 ? { name: rest[3] as string } : {}) };
  }
  return { kind: 'none' };
}

/** The first representation in Accept the server can produce. */
function negotiate(accept: string | undefined, isList: boolean): MetadataView {
  if (accept === undefined || accept.trim() === '') return 'full';
  for (const clause of accept.split(',')) {
    const [type = '', ...params] = clause.split(';').map((s) => s.trim());
    const p = Object.fromEntries(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (p['as'] !== undefined) {
      const wanted = isList ? PARTIAL_LIST : PARTIAL;
      if ((p['as'] === wanted || p['as'] === PARTIAL) && p['g'] === 'meta.k8s.io' && p['v'] === 'v1' && type === 'application/json') return 'metadata';
      continue; // Table and other conversions are not served: the client falls back.
    }
    if (type === 'application/json' || type === '*/*' || type === 'application/*') return 'full';
  }
  throw statusErrors.notAcceptable(accept);
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function writeOptions(query: URLSearchParams, req: IncomingMessage): WriteOptions {
  const dryRun = query.getAll('dryRun');
  for (const v of dryRun) if (v !== 'All') throw statusErrors.badRequest(`dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  const fv = query.get('fieldValidation') ?? 'Warn';
  if (fv !== 'Ignore' && fv !== 'Warn' && fv !== 'Strict' && fv !== '') {
    throw statusErrors.badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(fv)}: supported values: "Ignore", "Warn", "Strict"`);
  }
  const force = query.get('force');
  const manager = query.get('fieldManager');
  if (manager !== null && manager.length > 128) throw statusErrors.badRequest('fieldManager: Too long: may not be more than 128 bytes');
  return {
    dryRun: dryRun.length > 0,
    fieldValidation: (fv === '' ? 'Warn' : fv) as FieldValidation,
    fieldManager: manager ?? undefined,
    // The API server names an unnamed updater by its User-Agent up to the first '/'.
    defaultManager: (req.headers['user-agent'] ?? 'unknown').split('/')[0]?.slice(0, 128) || 'unknown',
    force: force === null ? undefined : force === 'true',
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Request entity too large: limit is ${MAX_BODY_BYTES}`, reason: 'RequestEntityTooLarge', code: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const catalog = loadResourceCatalog(options.sharedDir);
  const validator: ObjectValidator = options.validator ?? loadIstioValidator({ ...(options.sharedDir === undefined ? {} : { sharedDir: options.sharedDir }), quiet: true });
  const now = options.now ?? (() => new Date());
  const store = new ObjectStore();
  const handlers = new ResourceHandlers(store, validator as IstioValidator, now);
  const faults = new FaultInjector(options.seed ?? 1);
  const requestLog = new RequestLog();
  const namespace = options.namespace ?? 'default';
  const token = options.token ?? 'sc2mesh-test-token';
  let hostPort = '127.0.0.1:0';

  function dispatch(req: IncomingMessage, url: URL, r: Route, body: Buffer): Reply {
    const method = req.method ?? 'GET';
    if (r.kind === 'discovery' && r.discovery !== undefined) {
      if (method !== 'GET') throw statusErrors.methodNotAllowed(method);
      return { status: 200, body: r.discovery() };
    }
    const rt = r.rt;
    if (r.kind !== 'resource' || rt === undefined) throw statusErrors.noRoute();
    const q = url.searchParams;
    const accept = req.headers.accept;
    if (r.name === undefined) {
      if (method === 'GET') {
        if (q.get('watch') === 'true' || q.get('watch') === '1') throw statusErrors.methodNotAllowed('watch');
        return handlers.list(rt, r.namespace, {
          ...(q.get('labelSelector') === null ? {} : { labelSelector: q.get('labelSelector') as string }),
          ...(q.get('fieldSelector') === null ? {} : { fieldSelector: q.get('fieldSelector') as string }),
          ...(q.get('limit') === null ? {} : { limit: q.get('limit') as string }),
          ...(q.get('continue') === null ? {} : { continue: q.get('continue') as string }),
          ...(q.get('resourceVersion') === null ? {} : { resourceVersion: q.get('resourceVersion') as string }),
          view: negotiate(accept, true),
        });
      }
      if (method === 'POST' && r.namespace !== undefined) {
        return handlers.create(rt, r.namespace, parseBody(body, mediaType(req.headers['content-type'])), writeOptions(q, req));
      }
      throw statusErrors.methodNotAllowed(method);
    }
    const ns = r.namespace as string;
    switch (method) {
      case 'GET':
        return handlers.get(rt, ns, r.name, negotiate(accept, false));
      case 'PUT':
        return handlers.update(rt, ns, r.name, parseBody(body, mediaType(req.headers['content-type'])), writeOptions(q, req));
      case 'PATCH':
        return handlers.patch(rt, ns, r.name, mediaType(req.headers['content-type']), body, writeOptions(q, req));
      case 'DELETE': {
        const opts = writeOptions(q, req);
        const deleteBody = body.length === 0 ? undefined : parseBody(body, 'application/json');
        const dryRunInBody = typeof deleteBody === 'object' && deleteBody !== null && Array.isArray((deleteBody as { dryRun?: unknown }).dryRun);
        return handlers.delete(rt, ns, r.name, deleteBody, opts.dryRun || dryRunInBody);
      }
      default:
        throw statusErrors.methodNotAllowed(method);
    }
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]>): number {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Audit-Id': randomUUID(), ...headers });
    res.end(text);
    return Buffer.byteLength(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', `http://${hostPort}`);
    const r = route(url.pathname, catalog, hostPort, () => [namespace, 'default', ...store.namespaces()]);
    let status = 0;
    let responseBytes = 0;
    let requestBytes = 0;
    let objectPath = url.pathname;
    let decision: FaultDecision = { latencyMs: 0, error: undefined, retryAfterSeconds: undefined, afterEffect: false };
    try {
      const body = await readBody(req);
      requestBytes = body.length;
      if (method === 'POST' && r.kind === 'resource' && r.name === undefined) objectPath = `${url.pathname}/${nameInBody(body)}`;
      decision = faults.decide({ method, resource: r.rt?.plural, discovery: r.kind === 'discovery' });
      if (decision.latencyMs > 0) await sleep(decision.latencyMs);
      const faultFirst = decision.error !== undefined && !decision.afterEffect;
      let reply: Reply | undefined;
      let failure: ApiError | undefined;
      if (!faultFirst) {
        try {
          if (options.authenticate !== undefined && !options.authenticate(req.headers.authorization)) throw statusErrors.unauthorized();
          reply = dispatch(req, url, r, body);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          failure = error;
        }
      }
      if (decision.error === 'reset') {
        status = -1;
        req.socket.destroy();
        return;
      }
      if (decision.error !== undefined) failure = decision.error === 429 ? statusErrors.tooManyRequests(decision.retryAfterSeconds ?? 1) : statusErrors.serverError(decision.error, decision.retryAfterSeconds);
      if (failure !== undefined) {
        status = failure.status.code;
        responseBytes = send(res, status, failure.status, failure.headers);
      } else if (reply !== undefined) {
        status = reply.status;
        const warnings = (reply.warnings ?? []).map((w) => `299 - ${JSON.stringify(w)}`);
        responseBytes = send(res, status, reply.body, warnings.length === 0 ? {} : { Warning: warnings });
      }
    } catch (error) {
      const failure = error instanceof ApiError ? error : statusErrors.internal((error as Error).message);
      status = failure.status.code;
      if (!res.headersSent) responseBytes = send(res, status, failure.status, failure.headers);
    } finally {
      requestLog.add({
        method,
        path: url.pathname,
        objectPath,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers['content-type'],
        accept: req.headers.accept,
        userAgent: req.headers['user-agent'],
        status,
        requestBytes,
        responseBytes,
        mutating: isMutatingMethod(method),
        dryRun: url.searchParams.getAll('dryRun').includes('All'),
        fault: decision.error !== undefined ? String(decision.error) : decision.latencyMs > 0 ? 'latency' : undefined,
        durationMs: performance.now() - started,
        arrivedAt: performance.timeOrigin + started,
      });
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hostPort = `127.0.0.1:${port}`;
  const url = `http://${hostPort}`;

  const ownDir = options.kubeconfigPath === undefined ? mkdtempSync(path.join(tmpdir(), 'sc2mesh-kube-')) : undefined;
  const kubeconfigPath = options.kubeconfigPath ?? path.join(ownDir as string, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml(url, namespace, token), { mode: 0o600 });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);

  const rtOf = (kind: IstioKind): ResourceType => {
    const rt = catalog.byKind.get(kind);
    if (rt === undefined) throw new Error(`kube-api-server: ${kind} is not served`);
    return rt;
  };
  const storeAccess: StoreAccess = {
    get: (kind, ns, name) => {
      const obj = store.get(rtOf(kind).plural, ns, name);
      return obj === undefined ? undefined : clone(obj);
    },
    list: (kind, ns) => store.list(rtOf(kind).plural, ns).map(({ obj }) => clone(obj)),
    put: (obj, opts = {}) => {
      const kind = obj['kind'];
      if (typeof kind !== 'string' || !catalog.byKind.has(kind as IstioKind)) throw new Error(`store.put: unknown kind ${String(kind)}`);
      return handlers.putRaw(rtOf(kind as IstioKind), obj, opts.manager, opts.validate === true);
    },
    delete: (kind, ns, name) => {
      const removed = store.delete(rtOf(kind).plural, ns, name);
      if (removed) store.bump();
      return removed;
    },
    count: (kind) => store.count(rtOf(kind).plural),
    get resourceVersion() {
      return store.revision;
    },
  };

  let closed = false;
  return {
    url,
    kubeconfigPath,
    kubeConfig,
    requestLog,
    store: storeAccess,
    inject: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownDir !== undefined) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}

/** The name a create's body gives its object ('' when the body says none): the request log addresses a POST by it. */
function nameInBody(body: Buffer): string {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const name = (parsed as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    return typeof name === 'string' ? encodeURIComponent(name) : '';
  } catch {
    return '';
  }
}
