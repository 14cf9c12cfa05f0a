// A ServiceComb service-center simulator: the v4 REST API and the instance watch
// WebSocket on 127.0.0.1, faithful to ../shared/reference/servicecomb/README.md, with
// fault injection and programmatic helpers for tests and the demo.
//
// Defaults are the real server's: heartbeat interval raised to >= 5 s and times to >= 3
// (so a push instance expires after interval × (times+1) s), pings every 30 s, a 120 s
// read deadline. Tests lower them through `heartbeat`, `watch` and `dependencyDelayMs`;
// `clock` replaces what leases, tokens and rule times are read from, and `sweepExpired()`
// runs the expiry check at once.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { TokenAuthority, type AuthOptions } from './auth.ts';
import { mergeFaults, noFaults, type ActiveFaults, type FaultSpec } from './faults.ts';
import { GovernanceStore } from './governance-store.ts';
import { seededProviders } from './dependency-rules.ts';
import { createApiHandler, tenantOf, WATCHER_PATH } from './http-api.ts';
import { Codes, SimError } from './sim-error.ts';
import { RegistryStore, tenantKey, type JsonObject, type Scope } from './store.ts';
import { WatchHub } from './watch-hub.ts';
import { systemClock, type Clock } from '../time/clock.ts';

export type { Scope, FaultSpec, AuthOptions };

export interface RegistrySimulatorOptions {
  /** 0 (default) picks a free port; the host is always 127.0.0.1 */
  port?: number;
  /** serve https/wss with this key and certificate (PEM) */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** turns token auth on; off when absent */
  auth?: AuthOptions;
  /** delay between a find and its dependency being recorded (default 100 ms) */
  dependencyDelayMs?: number;
  heartbeat?: {
    /** the server raises interval to at least this, seconds (default 5) */
    minInterval?: number;
    /** and times to at least this (default 3) */
    minTimes?: number;
    /** how often leases are checked, ms (default 1000) */
    sweepIntervalMs?: number;
  };
  watch?: {
    /** server pings to idle subscribers (default 30 000 ms) */
    pingIntervalMs?: number;
    /** read deadline, pushed back only by client pings and pongs (default 120 000 ms) */
    readTimeoutMs?: number;
  };
  /** register SERVICECENTER itself (default true) */
  selfRegister?: boolean;
  /** a govern dump to load at start, into domain/project default (with `governance`: rules too) */
  seed?: unknown;
  /** what leases, tokens and rule times are read from (default the system clock); timers and delays stay real */
  clock?: Pick<Clock, 'now'>;
}

export interface RegisterInstanceOptions {
  /** the simulator renews the lease itself, as if heartbeats came (default false) */
  keepAlive?: boolean;
}

export interface RegistrySimulator {
  readonly baseUrl: string;
  readonly wsBaseUrl: string;
  readonly port: number;
  close(): Promise<void>;
  /** drops every connection and socket, then serves again on the same port; state survives unless clearState */
  restart(options?: { downtimeMs?: number; clearState?: boolean }): Promise<void>;
  inject(faults: FaultSpec): void;
  clearFaults(): void;
  /** drops every watcher socket without a close frame; returns how many */
  dropSockets(): number;
  /** writes a raw text frame to every watcher socket (malformed-frame tests); returns how many */
  sendRawFrame(text: string): number;
  /** every issued token stops working */
  expireTokens(): void;

  registerService(service: JsonObject, scope?: Scope): string;
  registerInstance(serviceId: string, instance: JsonObject, options?: RegisterInstanceOptions, scope?: Scope): string;
  setInstanceStatus(serviceId: string, instanceId: string, status: string, scope?: Scope): void;
  setInstanceProperties(serviceId: string, instanceId: string, properties: Record<string, string>, scope?: Scope): void;
  heartbeat(serviceId: string, instanceId: string, scope?: Scope): void;
  unregisterInstance(serviceId: string, instanceId: string, scope?: Scope): void;
  unregisterService(serviceId: string, options?: { force?: boolean }, scope?: Scope): void;
  /**
   * Loads a govern dump ({allServicesDetail:[...]}) keeping its ids; instances are kept
   * alive. An entry's `providers` (as options=dependencies dumps them) become its
   * dependencies at once. An optional `governance: {[kind]: rule[]}` loads rules as if
   * written to kie.
   */
  seed(dump: unknown, scope?: Scope): { services: number; instances: number; rules: number };
  /** stores one governance rule as kie would hold it (no spec validation); returns its id */
  putGovernanceRule(kind: string, rule: JsonObject, scope?: Scope): string;
  /** what `GET /v1/{project}/gov/{kind}?environment=all` answers */
  governanceRules(kind: string, scope?: Scope): JsonObject[];
  /** runs the lease check now; returns how many instances expired */
  sweepExpired(): number;

  listServices(scope?: Scope, withShared?: boolean): JsonObject[];
  governDump(scope?: Scope): JsonObject[];
  /** serviceId → instanceIds (the registry's own entry excluded) */
  snapshot(scope?: Scope): Map<string, Set<string>>;
  /** provider keys (environment/appId/serviceName) this consumer depends on */
  dependencies(consumerId: string, scope?: Scope): string[];
  /** open watcher sockets, of one consumer or in all */
  watcherCount(consumerId?: string, scope?: Scope): number;
  stats(): { requests: number; framesSent: number; socketsDropped: number; subscribers: number; logins: number; restarts: number };
  /** HTTP answers since start by route (`GET /v4/{project}/govern/microservices`, ids as `*`): count and bytes written (headers included) */
  traffic(): Record<string, RouteTraffic>;
}

export interface RouteTraffic {
  requests: number;
  bytes: number;
}

const SELF_NAMES = new Set(['SERVICECENTER', 'SERVICE-CENTER']);

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export async function startRegistrySimulator(options: RegistrySimulatorOptions = {}): Promise<RegistrySimulator> {
  const clock = options.clock ?? systemClock;
  let faults: ActiveFaults = noFaults();
  let requests = 0;
  let restarts = 0;
  const traffic = new Map<string, RouteTraffic>();
  const hubRef: { hub?: WatchHub } = {};
  const store = new RegistryStore({
    clock,
    minHeartbeatInterval: options.heartbeat?.minInterval ?? 5,
    minHeartbeatTimes: options.heartbeat?.minTimes ?? 3,
    dependencyDelayMs: options.dependencyDelayMs ?? 100,
    onEvent: (event) => hubRef.hub?.publish(event.tenant, store.dependentsOf(event.tenant, event.nameKey), event.frame),
  });
  const hub = new WatchHub({
    pingIntervalMs: options.watch?.pingIntervalMs ?? 30_000,
    readTimeoutMs: options.watch?.readTimeoutMs ?? 120_000,
    consumerExists: (tenant, consumerId) => store.hasService(tenant, consumerId),
    faults: () => faults,
  });
  hubRef.hub = hub;
  const auth = options.auth === undefined ? undefined : new TokenAuthority(options.auth, clock);
  const governance = new GovernanceStore(clock);

  const handler = createApiHandler({
    store,
    governance,
    auth,
    faults: () => faults,
    consumeFault: (kind) => {
      faults = { ...faults, [kind]: Math.max(0, faults[kind] - 1) };
    },
    onRequest: () => {
      requests++;
    },
    onResponse: (route, bytes) => {
      const counted = traffic.get(route);
      if (counted === undefined) traffic.set(route, { requests: 1, bytes });
      else {
        counted.requests++;
        counted.bytes += bytes;
      }
    },
  });
  const server = options.tls === undefined ? http.createServer(handler) : https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler);
  server.keepAliveTimeout = 5_000;
  const wss = new WebSocketServer({ noServer: true });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    requests++;
    const path = new URL(req.url ?? '/', 'http://registry').pathname;
    const match = WATCHER_PATH.exec(path);
    const reject = (status: number, body: string, type = 'application/json'): void => {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    if (match === null) return reject(404, '404 page not found', 'text/plain; charset=utf-8');
    if (faults.refuseWatch) return reject(503, JSON.stringify(new SimError(Codes.unavailableBackend, 'injected fault: watch refused').toBody()));
    const authorization = req.headers['authorization'];
    if (auth !== undefined && !auth.verify(Array.isArray(authorization) ? authorization[0] : authorization)) {
      return reject(401, JSON.stringify(new SimError(Codes.unauthorized, 'Request Unauthorized').toBody()));
    }
    const tenant = tenantOf(req, decodeURIComponent(match[1] as string));
    const consumerId = decodeURIComponent(match[2] as string);
    wss.handleUpgrade(req, socket, head, (ws) => hub.accept(ws, tenant, consumerId));
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once('error', onError);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const port = await listen(options.port ?? 0);
  const scheme = options.tls === undefined ? 'http' : 'https';
  const baseUrl = `${scheme}://127.0.0.1:${port}`;

  const selfRegister = (): void => {
    if (options.selfRegister === false) return;
    const id = store.registerService(tenantKey(), { appId: 'default', serviceName: 'SERVICECENTER', version: '2.2.0', level: 'BACK' }, true);
    const endpoint = `rest://127.0.0.1:${port}${options.tls === undefined ? '' : '?sslEnabled=true'}`;
    store.registerInstance(tenantKey(), id, { hostName: 'registry-simulator', endpoints: [endpoint] }, true);
  };
  selfRegister();

  const sweepTimer = setInterval(() => store.sweepExpired(), options.heartbeat?.sweepIntervalMs ?? 1_000);

  const seed = (dump: unknown, scope?: Scope): { services: number; instances: number; rules: number } => {
    if (!isObject(dump)) throw new Error('seed: expected a govern dump object {"allServicesDetail":[...]}');
    // Rules first: a bad one refuses the whole seed before any service is registered.
    const rules = dump['governance'] === undefined ? 0 : governance.seed(tenantKey(scope), dump['governance']);
    const details = dump['allServicesDetail'] ?? [];
    if (!Array.isArray(details)) throw new Error('seed: allServicesDetail must be a list');
    let services = 0;
    let instances = 0;
    details.forEach((detail: unknown, index) => {
      if (!isObject(detail) || !isObject(detail['microService'])) throw new Error(`seed: allServicesDetail[${index}].microService is required`);
      const where = (e: unknown): Error => new Error(`seed: allServicesDetail[${index}]: ${e instanceof Error ? e.message : String(e)}`);
      // A dump taken with withShared=true lists the registry's own entry, which this
      // simulator has registered itself already: the seed keeps the running one.
      const name = detail['microService']['serviceName'];
      if (typeof name === 'string' && SELF_NAMES.has(name.toUpperCase()) && options.selfRegister !== false) return;
      // A service without instances whose key a client registered again already (a watcher's
      // consumer after a restart) keeps the running registration, as the self entry does.
      const list0 = detail['instances'];
      const m = detail['microService'];
      if ((!Array.isArray(list0) || list0.length === 0) && typeof m['serviceName'] === 'string' && typeof m['version'] === 'string') {
        const key = { appId: typeof m['appId'] === 'string' ? m['appId'] : 'default', serviceName: m['serviceName'], version: m['version'], environment: typeof m['environment'] === 'string' ? m['environment'] : '' };
        let running: string | undefined;
        try {
          running = store.existence(tenantKey(scope), key);
        } catch {
          running = undefined;
        }
        if (running !== undefined && running !== m['serviceId']) return;
      }
      let serviceId: string;
      try {
        serviceId = store.registerService(tenantKey(scope), detail['microService']);
      } catch (e) {
        throw where(e);
      }
      services++;
      const list = detail['instances'] ?? [];
      if (!Array.isArray(list)) throw where('instances must be a list');
      for (const instance of list) {
        try {
          store.registerInstance(tenantKey(scope), serviceId, instance, true);
        } catch (e) {
          throw where(e);
        }
        instances++;
      }
      try {
        store.seedDependencies(tenantKey(scope), serviceId, seededProviders(detail['providers'], 'providers'));
      } catch (e) {
        throw where(e);
      }
    });
    return { services, instances, rules };
  };
  if (options.seed !== undefined) seed(options.seed);

  let closed = false;
  const stopServing = async (): Promise<void> => {
    hub.dropAll();
    for (const client of wss.clients) client.terminate();
    const closing = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closing;
  };

  const sim: RegistrySimulator = {
    baseUrl,
    wsBaseUrl: baseUrl.replace(/^http/, 'ws'),
    port,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweepTimer);
      store.close();
      await stopServing();
      wss.close();
    },
    async restart(restartOptions = {}) {
      if (closed) throw new Error('simulator is closed');
      restarts++;
      await stopServing();
      if (restartOptions.clearState === true) {
        store.clear();
        governance.clear();
        selfRegister();
      }
      if ((restartOptions.downtimeMs ?? 0) > 0) await new Promise((r) => setTimeout(r, restartOptions.downtimeMs));
      await listen(port);
    },
    inject(spec) {
      faults = mergeFaults(faults, spec);
      if (spec.dropSockets === true) hub.dropAll();
    },
    clearFaults() {
      faults = noFaults();
    },
    dropSockets: () => hub.dropAll(),
    sendRawFrame: (text) => hub.sendRaw(text),
    expireTokens() {
      auth?.expireAll();
    },
    registerService: (service, scope) => store.registerService(tenantKey(scope), service),
    registerInstance: (serviceId, instance, opts = {}, scope) => store.registerInstance(tenantKey(scope), serviceId, instance, opts.keepAlive === true),
    setInstanceStatus: (serviceId, instanceId, status, scope) => store.setStatus(tenantKey(scope), serviceId, instanceId, status),
    setInstanceProperties: (serviceId, instanceId, properties, scope) => store.setProperties(tenantKey(scope), serviceId, instanceId, { properties }),
    heartbeat: (serviceId, instanceId, scope) => store.heartbeat(tenantKey(scope), serviceId, instanceId),
    unregisterInstance: (serviceId, instanceId, scope) => store.unregisterInstance(tenantKey(scope), serviceId, instanceId),
    unregisterService: (serviceId, opts = {}, scope) => store.unregisterService(tenantKey(scope), serviceId, opts.force === true),
    seed,
    putGovernanceRule: (kind, rule, scope) => governance.put(tenantKey(scope), kind, rule),
    governanceRules: (kind, scope) => governance.list(tenantKey(scope), kind, { app: undefined, environment: 'all' }),
    sweepExpired: () => store.sweepExpired(),
    listServices: (scope, withShared = false) => store.listServices(tenantKey(scope), withShared),
    governDump: (scope) => store.governDump(tenantKey(scope), true, false),
    snapshot: (scope) => store.snapshot(tenantKey(scope)),
    dependencies: (consumerId, scope) => store.dependenciesOf(tenantKey(scope), consumerId),
    watcherCount: (consumerId, scope) => (consumerId === undefined ? hub.count() : hub.count(tenantKey(scope), consumerId)),
    traffic: () => Object.fromEntries([...traffic].map(([route, t]) => [route, { ...t }])),
    stats: () => ({ requests, framesSent: hub.framesSent, socketsDropped: hub.dropped, subscribers: hub.count(), logins: auth?.logins ?? 0, restarts }),
  };
  return sim;
}
