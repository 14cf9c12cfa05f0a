// The body of the deprecated explicit dependency API (POST adds, PUT overrides
// `/v4/{project}/registry/dependencies`), checked as service-center checks it
// (server/service/validator/dependency_validator.go, then datasource.ParamsChecker):
//   - 1 to 100 `dependencies`, each with a `consumer` MicroServiceKey: appId (1-160),
//     serviceName (1-128), an exact version x[.y[.z[.w]]] and an environment;
//   - `providers`: at least one for POST, any number (none clears) for PUT; each needs a
//     serviceName; an empty appId is the consumer's (an empty environment stays
//     empty, as ParamsChecker leaves it); the version may be empty, exact,
//     `x+`, `x-y` or `latest` (x, y of up to three parts, each 0-32767) and is then
//     ignored: every version of the provider name is depended on (AllVersions);
//   - the same provider (environment/appId/serviceName) twice is invalid.
// Every failure is 400001 and nothing is applied. `tenant` and `alias` are ignored.
import { Codes, SimError } from './sim-error.ts';
import type { JsonObject } from './store.ts';

export interface DependencyKey {
  environment: string;
  appId: string;
  serviceName: string;
}

export interface ConsumerKey extends DependencyKey {
  version: string;
}

export interface DependencyEntry {
  consumer: ConsumerKey;
  providers: DependencyKey[];
}

const NAME = /^[a-zA-Z0-9]*$|^[a-zA-Z0-9][a-zA-Z0-9_\-.]*[a-zA-Z0-9]$/;
const ENVIRONMENTS = new Set(['', 'development', 'testing', 'acceptance', 'production']);
const EXACT_VERSION = /^\d+(\.\d+){0,3}$/;
const PROVIDER_VERSION = /^(\d+(\.\d+){0,2}\+?|\d+(\.\d+){0,2}-\d+(\.\d+){0,2}|latest)?$/;
const MAX_ENTRIES = 100;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function invalid(message: string): SimError {
  return new SimError(Codes.invalidParams, 'Invalid parameter(s)', message);
}

function text(body: JsonObject, field: string, where: string): string {
  const value = body[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw invalid(`${where}.${field} must be a string (got ${JSON.stringify(value)})`);
  return value;
}

function name(body: JsonObject, field: string, where: string, min: number, max: number): string {
  const value = text(body, field, where);
  if (value.length < min || value.length > max || !NAME.test(value)) {
    throw invalid(`${where}.${field} ${JSON.stringify(value)} is invalid (${min}-${max} letters, digits, '_', '-', '.')`);
  }
  return value;
}

function environment(body: JsonObject, where: string): string {
  const value = text(body, 'environment', where);
  if (!ENVIRONMENTS.has(value)) throw invalid(`${where}.environment ${JSON.stringify(value)} is invalid (development, testing, acceptance, production or empty)`);
  return value;
}

/** Every dotted part fits service-center's int16 (VersionToInt64). */
function partsInRange(version: string): boolean {
  return (version.match(/\d+/g) ?? []).every((part) => Number(part) <= 32767);
}

function consumerOf(raw: unknown, where: string): ConsumerKey {
  if (!isObject(raw)) throw invalid(`${where} is required (a MicroServiceKey object, got ${JSON.stringify(raw ?? null)})`);
  const version = text(raw, 'version', where);
  if (version.length > 64 || !EXACT_VERSION.test(version) || !partsInRange(version)) {
    throw invalid(`${where}.version ${JSON.stringify(version)} is invalid (the consumer's exact version, x[.y[.z[.w]]], each part 0-32767)`);
  }
  return { environment: environment(raw, where), appId: name(raw, 'appId', where, 1, 160), serviceName: name(raw, 'serviceName', where, 1, 128), version };
}

function providerOf(raw: unknown, where: string, consumer: ConsumerKey): DependencyKey {
  if (!isObject(raw)) throw invalid(`${where} must be a MicroServiceKey object (got ${JSON.stringify(raw)})`);
  const version = text(raw, 'version', where);
  if (version.length > 128 || !PROVIDER_VERSION.test(version) || !partsInRange(version)) {
    throw invalid(`${where}.version ${JSON.stringify(version)} is invalid (empty, x[.y[.z]], x[.y[.z]]+, x[.y[.z]]-x[.y[.z]] or latest, each part 0-32767)`);
  }
  const serviceName = name(raw, 'serviceName', where, 1, 128);
  const appId = name(raw, 'appId', where, 0, 160) || consumer.appId;
  return { environment: environment(raw, where), appId, serviceName };
}

/** The validated entries of a POST (`override` false) or PUT (true) body; throws 400001. */
export function parseDependencyRequest(body: unknown, override: boolean): DependencyEntry[] {
  if (!isObject(body)) throw invalid(`the body must be a JSON object {"dependencies":[...]} (got ${JSON.stringify(body ?? null)})`);
  const list = body['dependencies'];
  if (list !== undefined && list !== null && !Array.isArray(list)) throw invalid(`dependencies must be a list (got ${JSON.stringify(list)})`);
  const entries = (list ?? []) as unknown[];
  if (entries.length < 1 || entries.length > MAX_ENTRIES) throw invalid(`dependencies must hold 1 to ${MAX_ENTRIES} entries (got ${entries.length})`);
  return entries.map((entry, i) => {
    const where = `dependencies[${i}]`;
    if (!isObject(entry)) throw invalid(`${where} must be an object (got ${JSON.stringify(entry)})`);
    const consumer = consumerOf(entry['consumer'], `${where}.consumer`);
    const rawProviders = entry['providers'];
    if (rawProviders !== undefined && rawProviders !== null && !Array.isArray(rawProviders)) {
      throw invalid(`${where}.providers must be a list (got ${JSON.stringify(rawProviders)})`);
    }
    const list = (rawProviders ?? []) as unknown[];
    if (!override && list.length === 0) throw invalid(`${where}.providers must hold at least one provider (POST adds; PUT with none clears)`);
    const seen = new Set<string>();
    const providers = list.map((raw, j) => {
      const provider = providerOf(raw, `${where}.providers[${j}]`, consumer);
      const key = `${provider.environment}/${provider.appId}/${provider.serviceName}`;
      if (seen.has(key)) throw invalid(`${where}.providers[${j}]: provider ${key} is listed twice (versions do not count: every version is depended on)`);
      seen.add(key);
      return provider;
    });
    return { consumer, providers };
  });
}

/**
 * The `providers` of a seeded govern-dump entry (MicroService objects, as a dump taken
 * with options=dependencies holds them): the provider names to depend on.
 */
export function seededProviders(raw: unknown, where: string): DependencyKey[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error(`${where} must be a list`);
  return raw.map((entry: unknown, i) => {
    if (!isObject(entry) || typeof entry['serviceName'] !== 'string' || entry['serviceName'] === '') {
      throw new Error(`${where}[${i}].serviceName is required (got ${JSON.stringify(entry)})`);
    }
    const appId = entry['appId'];
    const env = entry['environment'];
    return {
      serviceName: entry['serviceName'],
      appId: typeof appId === 'string' && appId !== '' ? appId : 'default',
      environment: typeof env === 'string' ? env : '',
    };
  });
}
