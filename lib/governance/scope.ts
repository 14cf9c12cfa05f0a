// Which provider services a rule governs (governance.md §1.4). Three things decide it:
// the selector (the kie labels: app, environment, maybe service and version) says which
// microservices receive the rule; the rule's `services` list (and its match group's)
// says which of those load it; and a match's `serviceName` says which requests it takes.
// Who "loads" a rule depends on its side: the provider for provider-side kinds, the
// caller for consumer-side ones, whose rules then govern every provider of their app.
import { compareText } from './compare.ts';

/** One provider service as the render publishes it. */
export interface GovernedService {
  /** `env/app/name` service key */
  key: string;
  /** the ServiceEntry's (and DestinationRule's) name */
  name: string;
  host: string;
  appId: string;
  environment: string;
  serviceName: string;
  /** registry versions with published instances */
  versions: readonly string[];
  /** the ServiceEntry's ports */
  ports: readonly { number: number; protocol: string }[];
  /** the ServiceEntry's exportTo (render decides it per app); undefined when unset */
  exportTo: readonly string[] | undefined;
}

/** Microservices named by `name` or `name:version` entries; `everyone` when nothing restricts. */
export type ServiceList = 'everyone' | ReadonlyMap<string, ReadonlySet<string> | 'all'>;

/** `services: "a, b:1.0.0"` → a (every version), b (1.0.0). Empty entries are ignored, as java-chassis splits on commas. */
export function parseServiceList(text: string | undefined): ServiceList {
  if (text === undefined || text.trim() === '') return 'everyone';
  const out = new Map<string, Set<string> | 'all'>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const colon = entry.indexOf(':');
    const name = colon < 0 ? entry : entry.slice(0, colon);
    const version = colon < 0 ? undefined : entry.slice(colon + 1);
    const known = out.get(name);
    if (version === undefined || known === 'all') out.set(name, 'all');
    else if (known === undefined) out.set(name, new Set([version]));
    else known.add(version);
  }
  return out.size === 0 ? 'everyone' : out;
}

/** Both lists must name a microservice for it to load the rule (a policy and its match group are loaded alike). */
export function intersect(a: ServiceList, b: ServiceList): ServiceList {
  if (a === 'everyone') return b;
  if (b === 'everyone') return a;
  const out = new Map<string, ReadonlySet<string> | 'all'>();
  for (const [name, va] of a) {
    const vb = b.get(name);
    if (vb === undefined) continue;
    if (va === 'all') out.set(name, vb);
    else if (vb === 'all') out.set(name, va);
    else {
      const both = new Set([...va].filter((v) => vb.has(v)));
      if (both.size > 0) out.set(name, both);
    }
  }
  // Lists that share nobody: no microservice loads the rule.
  return out;
}

/** kie `service` / `version` labels deliver a rule to that service (and version) only. */
export function selectorServices(selector: Readonly<Record<string, string>>): ServiceList {
  const service = selector['service'];
  if (service === undefined || service === '') return 'everyone';
  const version = selector['version'];
  return new Map([[service, version === undefined || version === '' ? 'all' : new Set([version])]]);
}

/** The app and environment labels must be the provider's (service-center writes both on every rule). */
export function selectorMatches(selector: Readonly<Record<string, string>>, service: GovernedService): boolean {
  return selector['app'] === service.appId && (selector['environment'] ?? '') === service.environment;
}

export type ProviderScope = { governs: false } | { governs: true; versions: 'all' | string[] };

/** A provider-side rule governs the provider if the list names it (and one of its versions). */
export function providerScope(list: ServiceList, service: GovernedService): ProviderScope {
  if (list === 'everyone') return { governs: true, versions: 'all' };
  const named = list.get(service.serviceName);
  if (named === undefined) return { governs: false };
  if (named === 'all') return { governs: true, versions: 'all' };
  const versions = service.versions.filter((v) => named.has(v)).sort();
  if (versions.length === 0) return { governs: false };
  return versions.length === service.versions.length ? { governs: true, versions: 'all' } : { governs: true, versions };
}

export interface Caller {
  name: string;
  /** undefined: every version */
  version: string | undefined;
}

/** The callers a consumer-side rule is loaded by; `everyone` when the list does not restrict. */
export function callersOf(list: ServiceList): 'everyone' | Caller[] {
  if (list === 'everyone') return 'everyone';
  const out: Caller[] = [];
  for (const [name, versions] of [...list].sort(([a], [b]) => compareText(a, b))) {
    if (versions === 'all') out.push({ name, version: undefined });
    else for (const version of [...versions].sort()) out.push({ name, version });
  }
  return out;
}
