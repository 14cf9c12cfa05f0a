// The v4 REST routes of service-center, on top of the store, and the v1 governance
// routes (governance-api.ts), behind the same auth and faults. Status codes and bodies
// follow ../shared/reference/servicecomb/README.md: errors are {"errorCode":"400012",...}
// with HTTP status = errorCode / 1000, empty lists are left out, calls with nothing to
// return answer 200 with an empty body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenAuthority } from './auth.ts';
import type { ActiveFaults } from './faults.ts';
import { GOVERNANCE_PATH, governanceAnswer } from './governance-api.ts';
import type { GovernanceStore } from './governance-store.ts';
import { Codes, SimError } from './sim-error.ts';
import { batchFind } from './batch-find.ts';
import { drawRelations } from './relations.ts';
import { field, listOrOmit } from './wire.ts';
import type { JsonObject, RegistryStore } from './store.ts';

export interface ApiContext {
  store: RegistryStore;
  /** the `/v1/{project}/gov/...` rules */
  governance: GovernanceStore;
  auth: TokenAuthority | undefined;
  faults: () => ActiveFaults;
  consumeFault: (kind: 'failNext' | 'resetNext') => void;
  onRequest: () => void;
  /** after each HTTP answer: its route (ids as `*`) and bytes written, for traffic figures */
  onResponse?: (route: string, bytes: number) => void;
}

const MAX_BODY = 16 * 1024 * 1024;

export const WATCHER_PATH = /^\/v4\/([^/]+)\/registry\/microservices\/([^/]+)\/watcher$/;

export function domainOf(req: IncomingMessage): string {
  const raw = req.headers['x-domain-name'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined || value === '' ? 'default' : value;
}

export function tenantOf(req: IncomingMessage, project: string): string {
  return `${domainOf(req)}/${project}`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const raw = req.headers[name];
  return Array.isArray(raw) ? raw[0] : raw;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': '0', ...headers });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

export function sendError(res: ServerResponse, error: SimError): void {
  sendJson(res, error.status, error.toBody());
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new SimError(Codes.invalidParams, 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimError(Codes.invalidParams, 'request body is not valid JSON');
  }
}

/** Waits, but not past the client going away (a timer must not outlive a closed server). */
function waitUnlessClosed(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.on('close', done);
  });
}

/**
 * `METHOD /v4/{project}/area/path` with ids as `*`: the route a request is counted under,
 * so what one caller reads can be told apart from another's (listing, dump, finds).
 */
export function trafficRoute(method: string, pathname: string): string {
  const gov = GOVERNANCE_PATH.exec(pathname);
  if (gov !== null) return `${method} /v1/{project}/gov/${gov[2] as string}${gov[3] === undefined ? '' : '/*'}`;
  const match = /^\/v4\/([^/]+)\/(registry|govern)\/(.*)$/.exec(pathname);
  if (match === null) return `${method} ${pathname === '/v4/token' ? pathname : '(other)'}`;
  const area = match[2] as string;
  const segments = (match[3] as string).split('/');
  return `${method} /v4/{project}/${area}/${segments.map((s, i) => (isVariable(area, segments, i) ? '*' : s)).join('/')}`;
}

export function createApiHandler(ctx: ApiContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const onResponse = ctx.onResponse;
    if (onResponse !== undefined) {
      // What went out on the connection for this answer, status line and headers included
      // (clients send one request at a time per connection, so the difference is this answer's).
      const socket = req.socket;
      const before = socket.bytesWritten;
      res.once('finish', () => onResponse(trafficRoute(req.method ?? 'GET', new URL(req.url ?? '/', 'http://registry').pathname), socket.bytesWritten - before));
    }
    handle(ctx, req, res).catch((error: unknown) => {
      const simError = error instanceof SimError ? error : new SimError(Codes.internal, error instanceof Error ? error.message : String(error));
      if (!res.headersSent) sendError(res, simError);
      else res.destroy();
    });
  };
}

async function handle(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  ctx.onRequest();
  const url = new URL(req.url ?? '/', 'http://registry');
  const faults = ctx.faults();
  if (faults.latencyMs > 0) {
    await waitUnlessClosed(faults.latencyMs, res);
    if (res.destroyed) return;
  }
  if (faults.resetNext > 0) {
    ctx.consumeFault('resetNext');
    req.socket.destroy();
    return;
  }
  if (faults.failNext > 0 && (faults.failPath === undefined || url.pathname.includes(faults.failPath))) {
    ctx.consumeFault('failNext');
    const code = faults.failStatus === 500 ? Codes.unavailableBackend : faults.failStatus * 1000;
    await readBody(req).catch(() => undefined);
    sendError(res, new SimError(code, 'injected fault: registry unavailable'));
    return;
  }
  const method = req.method ?? 'GET';
  const path = url.pathname;

  if (path === '/v4/token') {
    if (method !== 'POST') return sendText(res, 405, 'Method Not Allowed');
    const body = await readBody(req);
    if (ctx.auth === undefined) throw new SimError(Codes.invalidParams, 'authentication is not enabled');
    const token = ctx.auth.login(field(body, 'name'), field(body, 'password'));
    if (token === undefined) throw new SimError(Codes.unauthorized, 'wrong user name or password');
    return sendJson(res, 200, { token });
  }

  const gov = GOVERNANCE_PATH.exec(path);
  const match = /^\/v4\/([^/]+)\/(registry|govern)\/(.*)$/.exec(path);
  if (match === null && gov === null) return sendText(res, 404, '404 page not found');
  if (ctx.auth !== undefined && !ctx.auth.verify(header(req, 'authorization'))) {
    throw new SimError(Codes.unauthorized, 'Request Unauthorized');
  }
  if (gov !== null) {
    const answer = await governanceAnswer(ctx.governance, {
      method,
      tenant: tenantOf(req, decodeURIComponent(gov[1] as string)),
      kind: decodeURIComponent(gov[2] as string),
      id: gov[3] === undefined ? undefined : decodeURIComponent(gov[3]),
      query: (name) => url.searchParams.get(name) ?? undefined,
      body: () => readBody(req),
    });
    if (answer === 'method-not-allowed') return sendText(res, 405, 'Method Not Allowed');
    return sendJson(res, 200, answer.body);
  }
  if (match === null) return sendText(res, 404, '404 page not found');
  const project = decodeURIComponent(match[1] as string);
  const area = match[2] as string;
  const segments = (match[3] as string).split('/').map((s) => decodeURIComponent(s));
  const tenant = tenantOf(req, project);
  const q = (name: string): string | undefined => url.searchParams.get(name) ?? undefined;
  const { store } = ctx;
  const route = `${method} ${area}/${segments.map((s, i) => (isVariable(area, segments, i) ? '*' : s)).join('/')}`;

  switch (route) {
    case 'GET govern/microservices': {
      const opts = (q('options') ?? '').split(',');
      const all = opts.includes('all');
      const details = store.governDump(tenant, all || opts.includes('instances'), q('withShared') === 'true', all || opts.includes('dependencies'));
      return sendJson(res, 200, listOrOmit('allServicesDetail', details));
    }
    case 'GET govern/relations':
      return sendJson(res, 200, drawRelations(store, tenant, q('withShared') === 'true'));
    case 'POST registry/dependencies':
    case 'PUT registry/dependencies':
      // deprecated in service-center: a success says so in a header (errors do not)
      store.putDependencies(tenant, await readBody(req), method === 'PUT');
      return sendJson(res, 200, undefined, { deprecation: 'version="v4"' });
    case 'GET registry/microservices/*/providers':
      return sendJson(res, 200, listOrOmit('providers', store.providersOf(tenant, segments[1] as string, q('noSelf') === '1')));
    case 'GET registry/microservices/*/consumers':
      return sendJson(res, 200, listOrOmit('consumers', store.consumersOf(tenant, segments[1] as string, q('noSelf') === '1')));
    case 'GET registry/microservices':
      return sendJson(res, 200, listOrOmit('services', store.listServices(tenant, q('withShared') === 'true')));
    case 'POST registry/microservices': {
      const body = await readBody(req);
      const service = field(body, 'service');
      if (service === undefined) throw new SimError(Codes.invalidParams, 'service is required');
      return sendJson(res, 200, { serviceId: store.registerService(tenant, service) });
    }
    case 'GET registry/microservices/*':
      return sendJson(res, 200, { service: store.getService(tenant, segments[1] as string) });
    case 'DELETE registry/microservices/*':
      store.unregisterService(tenant, segments[1] as string, q('force') === 'true');
      return sendJson(res, 200, undefined);
    case 'PUT registry/microservices/*/properties':
      store.setServiceProperties(tenant, segments[1] as string, await readBody(req));
      return sendJson(res, 200, undefined);
    case 'GET registry/microservices/*/instances': {
      const serviceId = segments[1] as string;
      const consumerId = header(req, 'x-consumerid');
      if (consumerId !== undefined && consumerId !== '') store.checkConsumerAccess(tenant, consumerId, serviceId);
      const { instances, rev } = store.instancesOf(tenant, serviceId);
      return sendFound(res, instances, rev, q('rev'));
    }
    case 'POST registry/microservices/*/instances': {
      const body = await readBody(req);
      const instance = field(body, 'instance');
      if (instance === undefined) {
        store.getService(tenant, segments[1] as string);
        throw new SimError(Codes.invalidParams, 'instance is required');
      }
      return sendJson(res, 200, { instanceId: store.registerInstance(tenant, segments[1] as string, instance) });
    }
    case 'GET registry/microservices/*/instances/*':
      return sendJson(res, 200, { instance: store.getInstance(tenant, segments[1] as string, segments[3] as string) });
    case 'DELETE registry/microservices/*/instances/*':
      store.unregisterInstance(tenant, segments[1] as string, segments[3] as string);
      return sendJson(res, 200, undefined);
    case 'PUT registry/microservices/*/instances/*/heartbeat':
      store.heartbeat(tenant, segments[1] as string, segments[3] as string);
      return sendJson(res, 200, undefined);
    case 'PUT registry/microservices/*/instances/*/status':
      store.setStatus(tenant, segments[1] as string, segments[3] as string, q('value'));
      return sendJson(res, 200, undefined);
    case 'PUT registry/microservices/*/instances/*/properties':
      store.setProperties(tenant, segments[1] as string, segments[3] as string, await readBody(req));
      return sendJson(res, 200, undefined);
    case 'GET registry/microservices/*/watcher':
      // reached only without an Upgrade header (upgrades are handled by the server)
      return sendText(res, 400, "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header");
    case 'GET registry/existence': {
      if (q('type') !== 'microservice') throw new SimError(Codes.invalidParams, `existence type ${JSON.stringify(q('type') ?? '')} is not supported`);
      const serviceName = q('serviceName');
      const version = q('version');
      if (serviceName === undefined || serviceName === '' || version === undefined || version === '') {
        throw new SimError(Codes.invalidParams, 'serviceName and version are required');
      }
      return sendJson(res, 200, { serviceId: store.existence(tenant, { appId: q('appId') ?? '', serviceName, version, environment: q('env') ?? '' }) });
    }
    case 'GET registry/instances': {
      const serviceName = q('serviceName');
      if (serviceName === undefined || serviceName === '') throw new SimError(Codes.invalidParams, 'serviceName is required');
      const found = store.find(tenant, header(req, 'x-consumerid'), { appId: q('appId') ?? '', serviceName, environment: q('env') ?? '' });
      return sendFound(res, found.instances, found.rev, q('rev'));
    }
    case 'POST registry/instances/action': {
      if (q('type') !== 'query') throw new SimError(Codes.invalidParams, `action type ${JSON.stringify(q('type') ?? '')} is not supported`);
      const body = await readBody(req);
      return sendJson(res, 200, batchFind(store, tenant, header(req, 'x-consumerid'), body));
    }
    default:
      if (knownPath(route)) return sendText(res, 405, 'Method Not Allowed');
      return sendText(res, 404, '404 page not found');
  }
}

function isVariable(area: string, segments: string[], index: number): boolean {
  // registry/microservices/{serviceId}/instances/{instanceId}/...
  return area === 'registry' && segments[0] === 'microservices' && (index === 1 || (index === 3 && segments[2] === 'instances'));
}

const KNOWN = [
  'govern/microservices',
  'govern/relations',
  'registry/dependencies',
  'registry/microservices/*/providers',
  'registry/microservices/*/consumers',
  'registry/microservices',
  'registry/microservices/*',
  'registry/microservices/*/properties',
  'registry/microservices/*/instances',
  'registry/microservices/*/instances/*',
  'registry/microservices/*/instances/*/heartbeat',
  'registry/microservices/*/instances/*/status',
  'registry/microservices/*/instances/*/properties',
  'registry/microservices/*/watcher',
  'registry/existence',
  'registry/instances',
  'registry/instances/action',
];

function knownPath(route: string): boolean {
  return KNOWN.includes(route.slice(route.indexOf(' ') + 1));
}

function sendFound(res: ServerResponse, instances: JsonObject[], rev: string, askedRev: string | undefined): void {
  if (askedRev !== undefined && askedRev !== '' && askedRev === rev) {
    res.writeHead(304, { 'x-resource-revision': rev });
    res.end();
    return;
  }
  sendJson(res, 200, listOrOmit('instances', instances), { 'x-resource-revision': rev });
}
