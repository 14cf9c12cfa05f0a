// Seeded generator of realistic registries (govern dump shape) for property tests and
// benchmarks: several apps and environments, several versions per service, endpoints of
// every protocol, IPv4/IPv6/hostnames, localities and non-UP instances.
import type { ServiceDetail } from '../../lib/model/registry.ts';

/** mulberry32: tiny, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratorOptions {
  services: number;
  /** average instances per service (spread over its versions) */
  instancesPerService: number;
  seed?: number;
}

const APPS = ['shop', 'bank', 'logistics', 'identity', 'media', 'search', 'billing', 'crm'];
const ENVS = ['', '', 'production', 'development'];
const STATUSES = ['UP', 'UP', 'UP', 'UP', 'UP', 'UP', 'DOWN', 'STARTING', 'OUTOFSERVICE', 'TESTING'] as const;
const REGIONS = [['eu-west-1', 'eu-west-1a'], ['eu-west-1', 'eu-west-1b'], ['us-east-1', 'us-east-1c'], ['', '']] as const;

export function generateRegistry(options: GeneratorOptions): { allServicesDetail: ServiceDetail[] } {
  const rnd = seededRandom(options.seed ?? 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const hex = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(rnd() * 16).toString(16);
    return s;
  };
  const details: ServiceDetail[] = [];
  let ip = 0;
  let made = 0;
  let serviceIndex = 0;
  while (made < options.services) {
    const app = pick(APPS);
    const env = pick(ENVS);
    const name = `svc${serviceIndex++}${rnd() < 0.1 ? 'Service' : ''}`;
    const versions = Math.min(options.services - made, 1 + Math.floor(rnd() * 3));
    for (let v = 0; v < versions; v++) {
      made++;
      const serviceId = hex(40);
      const version = `1.${v}.${Math.floor(rnd() * 10)}`;
      const count = Math.max(0, Math.round(options.instancesPerService * (0.5 + rnd())));
      const scheme = pick(['rest', 'rest', 'highway', 'grpc', 'h2', 'rest-ssl'] as const);
      const port = 8000 + Math.floor(rnd() * 100);
      const instances = [];
      for (let i = 0; i < count; i++) {
        ip++;
        const kind = rnd();
        const host = kind < 0.9 ? `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}` : kind < 0.95 ? `[fd00::${(ip >>> 16).toString(16)}:${(ip & 0xffff).toString(16)}]` : `node-${ip}.${app}.example.com`;
        const endpoints = scheme === 'rest-ssl' ? [`rest://${host}:${port}?sslEnabled=true`] : [`${scheme}://${host}:${port}`];
        if (rnd() < 0.2) endpoints.push(`highway://${host}:${port + 1000}`);
        const [region, zone] = pick(REGIONS);
        instances.push({
          instanceId: hex(32),
          serviceId,
          version,
          hostName: `host-${ip}`,
          endpoints,
          status: pick(STATUSES),
          healthCheck: { mode: 'push', interval: 30, times: 3 },
          ...(region === '' ? {} : { dataCenterInfo: { name: 'aws', region, availableZone: zone } }),
          timestamp: '1763780000',
          modTimestamp: '1763780000',
        });
      }
      details.push({
        microService: { serviceId, appId: app, serviceName: name, version, ...(env === '' ? {} : { environment: env }), status: 'UP', level: 'BACK' },
        ...(instances.length > 0 ? { instances } : {}),
      });
    }
  }
  return { allServicesDetail: details };
}

export interface AppRegistryOptions {
  /** ServiceComb services (one ServiceEntry each) */
  services: number;
  /** versions of every service, each with its own instances */
  versionsPerService: number;
  /** services are dealt round-robin to apps `app-00`, `app-01`, ... */
  apps: number;
  instancesPerVersion: number;
  seed?: number;
}

/**
 * A registry of evenly sized apps, every service in every version: the shape the
 * footprint bench scopes app by app. Every instance is UP with a rest port; a fifth of
 * the services also serve highway, so some ServiceEntries have two ports.
 */
export function generateAppRegistry(options: AppRegistryOptions): { allServicesDetail: ServiceDetail[] } {
  const rnd = seededRandom(options.seed ?? 1);
  const hex = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(rnd() * 16).toString(16);
    return s;
  };
  const width = String(options.apps - 1).length;
  const details: ServiceDetail[] = [];
  let ip = 0;
  for (let s = 0; s < options.services; s++) {
    const appId = `app-${String(s % options.apps).padStart(width, '0')}`;
    const highway = rnd() < 0.2;
    for (let v = 0; v < options.versionsPerService; v++) {
      const serviceId = hex(40);
      const version = `1.${v}.0`;
      const instances = [];
      for (let i = 0; i < options.instancesPerVersion; i++) {
        ip++;
        const host = `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`;
        instances.push({
          instanceId: hex(32),
          serviceId,
          version,
          hostName: `host-${ip}`,
          endpoints: highway ? [`rest://${host}:8080`, `highway://${host}:7070`] : [`rest://${host}:8080`],
          status: 'UP' as const,
          timestamp: '1763780000',
          modTimestamp: '1763780000',
        });
      }
      details.push({ microService: { serviceId, appId, serviceName: `svc${s}`, version, status: 'UP', level: 'BACK' }, instances });
    }
  }
  return { allServicesDetail: details };
}
