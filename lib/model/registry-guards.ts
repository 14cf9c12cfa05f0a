// Allocation-free structural checks for the registry shapes of registry.ts, used on the
// hot path (a 100,000-instance dump): zod clones every object it parses, these only look.
// A record these refuse still goes through zod, which stays the authority on what is
// rejected and words the error; a test keeps the two in agreement.
import { InstanceStatusValues, type ServiceDetail } from './registry.ts';

type Rec = Record<string, unknown>;

const INSTANCE_STATUSES = new Set<string>(InstanceStatusValues);

function isRecord(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function optString(v: unknown): boolean {
  return v === undefined || typeof v === 'string';
}
function optNumber(v: unknown): boolean {
  // as zod's z.number(): NaN and ±Infinity are not numbers a registry sends
  return v === undefined || (typeof v === 'number' && Number.isFinite(v));
}
function optStringArray(v: unknown): boolean {
  if (v === undefined) return true;
  if (!Array.isArray(v)) return false;
  for (const item of v) if (typeof item !== 'string') return false;
  return true;
}
function optStringMap(v: unknown): boolean {
  if (v === undefined) return true;
  if (!isRecord(v)) return false;
  for (const key in v) if (typeof v[key] !== 'string') return false;
  return true;
}
function nonEmptyString(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0;
}

function isInstance(v: unknown): boolean {
  if (!isRecord(v)) return false;
  if (!nonEmptyString(v['instanceId'])) return false;
  if (!optString(v['serviceId']) || !optString(v['version']) || !optString(v['hostName'])) return false;
  if (!optString(v['timestamp']) || !optString(v['modTimestamp'])) return false;
  if (!optStringArray(v['endpoints'])) return false;
  const status = v['status'];
  if (status !== undefined && !(typeof status === 'string' && INSTANCE_STATUSES.has(status))) return false;
  if (!optStringMap(v['properties'])) return false;
  const hc = v['healthCheck'];
  if (hc !== undefined) {
    if (!isRecord(hc)) return false;
    if (!optString(hc['mode']) || !optNumber(hc['port']) || !optNumber(hc['interval']) || !optNumber(hc['times']) || !optString(hc['url'])) return false;
  }
  const dc = v['dataCenterInfo'];
  if (dc !== undefined) {
    if (!isRecord(dc)) return false;
    if (!optString(dc['name']) || !optString(dc['region']) || !optString(dc['availableZone'])) return false;
  }
  return true;
}

function isMicroService(v: unknown): boolean {
  if (!isRecord(v)) return false;
  if (!nonEmptyString(v['serviceId']) || !nonEmptyString(v['serviceName']) || !nonEmptyString(v['version'])) return false;
  if (!optString(v['appId'])) return false;
  for (const key of ['environment', 'alias', 'description', 'level', 'registerBy', 'timestamp', 'modTimestamp']) if (!optString(v[key])) return false;
  if (!optStringArray(v['schemas']) || !optStringMap(v['properties'])) return false;
  const status = v['status'];
  if (status !== undefined && status !== 'UP' && status !== 'DOWN') return false;
  const fw = v['framework'];
  if (fw !== undefined && !(isRecord(fw) && optString(fw['name']) && optString(fw['version']))) return false;
  return true;
}

/**
 * True when `v` already has the shape zod would accept; fills in the one default the
 * schema has (appId "default") in place, so the value can be used as parsed.
 */
export function isServiceDetail(v: unknown): v is ServiceDetail {
  if (!isRecord(v) || !isMicroService(v['microService'])) return false;
  const instances = v['instances'];
  if (instances !== undefined) {
    if (!Array.isArray(instances)) return false;
    for (const i of instances) if (!isInstance(i)) return false;
  }
  const service = v['microService'] as Rec;
  if (service['appId'] === undefined) service['appId'] = 'default';
  return true;
}
