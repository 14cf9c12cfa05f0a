// Strings from the environment and the command line become typed values here, strictly:
// "abc" is not a number, "yes" is not a boolean. A value of the wrong JSON type is left
// as it is for the schema to reject.
import { configError, type Origin } from './errors.ts';
import type { ConfigKey } from './keys.ts';

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function fold(key: ConfigKey, value: string): string {
  if (key.fold === 'upper') return value.toUpperCase();
  if (key.fold === 'lower') return value.toLowerCase();
  return value;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function toPairs(key: ConfigKey, items: readonly string[], origin: Origin): Record<string, string> {
  const map: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw configError(origin, 'expected key=value', { value: item, secret: key.secret });
    map[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return map;
}

/**
 * `app=ns1,ns2;app2=ns3` (a variable), or one `app=ns1,ns2` per repeated flag: commas
 * already separate a list's items, so entries are separated by `;`.
 */
function toListMap(key: ConfigKey, items: readonly string[], origin: Origin): Record<string, string[]> {
  const map = new Map<string, string[]>();
  for (const item of items.flatMap((s) => s.split(';')).map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw configError(origin, 'expected key=value,value (entries separated by ";")', { value: item, secret: key.secret });
    const name = item.slice(0, eq).trim();
    const values = splitList(item.slice(eq + 1));
    if (values.some((v) => v.includes('='))) throw configError(origin, `separate entries with ";", not ",": ${name}=a,b;other=c`, { value: item, secret: key.secret });
    if (map.has(name)) throw configError(origin, `${JSON.stringify(name)} is given twice`, { value: item, secret: key.secret });
    map.set(name, values);
  }
  return Object.fromEntries(map);
}

/** A flag or environment value (string, or strings for repeatable flags) → the key's type. */
export function coerceValue(key: ConfigKey, raw: unknown, origin: Origin): unknown {
  const shown = { value: raw, secret: key.secret };
  switch (key.kind) {
    case 'string':
    case 'path':
      return typeof raw === 'string' ? fold(key, raw) : raw;
    case 'number': {
      if (typeof raw !== 'string') return raw;
      const text = raw.trim();
      if (!NUMBER_RE.test(text)) throw configError(origin, 'expected a number', shown);
      return Number(text);
    }
    case 'boolean': {
      if (typeof raw !== 'string') return raw;
      const text = raw.trim().toLowerCase();
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw configError(origin, 'expected true, false, 1 or 0', shown);
    }
    case 'list':
      if (typeof raw === 'string') return splitList(raw).map((s) => fold(key, s));
      if (isStringArray(raw)) return raw.flatMap(splitList).map((s) => fold(key, s));
      return raw;
    case 'map':
      if (typeof raw === 'string') return toPairs(key, splitList(raw), origin);
      if (isStringArray(raw)) return toPairs(key, raw.flatMap(splitList), origin);
      return raw;
    case 'listMap':
      if (typeof raw === 'string') return toListMap(key, [raw], origin);
      if (isStringArray(raw)) return toListMap(key, raw, origin);
      return raw;
  }
}
