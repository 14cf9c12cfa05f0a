// /healthz and /metrics for the long-running processes (the watcher container, the local
// runner). Health is a function the host supplies, so "healthy" means what it should for
// that host (e.g. the watch sockets are connected), not just "the process is up".
//
// The local runner also serves the operator commands here (/v1/status, /v1/diff,
// /v1/resync): it holds the embedded state folder, which no other process can open while
// it runs, so `sc2mesh status|diff|resync` ask it instead. Those routes want the bearer
// token the runner wrote into the state folder's holder file, so reaching the port is not
// enough to start a forced resync.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Health {
  ok: boolean;
  /** shown as JSON on /healthz */
  details: Record<string, unknown>;
}

export interface OpsServerOptions {
  host: string;
  port: number;
  health: () => Health;
  /** Prometheus text */
  metrics: () => string;
  /** the operator commands, when this host holds the state */
  api?: OpsApi;
}

export interface OpsApi {
  token: string;
  status(runs: number): Promise<unknown>;
  reconcile(options: { dryRun: boolean; force: boolean }): Promise<unknown>;
}

function authorised(req: IncomingMessage, token: string): boolean {
  const given = Buffer.from(req.headers.authorization ?? '');
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function serveApi(api: OpsApi, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (!authorised(req, api.token)) return sendJson(res, 401, { error: 'missing or wrong bearer token (see the holder file in the state folder)' });
  const method = req.method ?? 'GET';
  const flag = (name: string): boolean => ['1', 'true', 'yes'].includes(url.searchParams.get(name) ?? '');
  if (url.pathname === '/v1/status') {
    if (method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end();
    const runs = Number(url.searchParams.get('runs') ?? '10');
    return sendJson(res, 200, await api.status(Number.isInteger(runs) && runs > 0 ? runs : 10));
  }
  if (url.pathname === '/v1/diff') {
    if (method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end();
    return sendJson(res, 200, await api.reconcile({ dryRun: true, force: flag('force') }));
  }
  if (url.pathname === '/v1/resync') {
    // A resync writes: never on a GET, which proxies and link previews may send freely.
    if (method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    return sendJson(res, 200, await api.reconcile({ dryRun: flag('dryRun'), force: flag('force') }));
  }
  sendJson(res, 404, { error: `not found: ${url.pathname}` });
}

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/v1/') && options.api !== undefined) {
      serveApi(options.api, req, res, new URL(req.url ?? '/', 'http://ops')).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
        else res.end();
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const h = options.health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: h.ok, ...h.details }));
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(options.metrics());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
