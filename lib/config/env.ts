// The environment layer: SC2MESH_<PATH> for every key. An empty variable counts as unset
// (deployment templates often pass '' for "not configured"); an SC2MESH_ variable that
// names no key is an error, so a typo does not silently fall back to a default.
import { coerceValue } from './coerce.ts';
import { configError, originOfField, type Origin } from './errors.ts';
import { CONFIG_KEYS, ENV_PREFIX, keyOfField, NON_CONFIG_ENV } from './keys.ts';
import { buildLayer, nest, type ConfigLayer, type PathContext } from './layer.ts';

const KNOWN_ENV = new Set(CONFIG_KEYS.map((k) => k.env));

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestion(name: string): string {
  let best: string | undefined;
  let bestDistance = 4;
  for (const known of KNOWN_ENV) {
    const distance = editDistance(name, known);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  return best === undefined ? '' : `; did you mean ${best}?`;
}

export function envOriginOf(field: string): Origin {
  const key = keyOfField(field);
  if (key === undefined) return { source: 'env', key: field };
  return originOfField({ source: 'env', key: key.env }, key.path, field);
}

export function envLayer(env: NodeJS.ProcessEnv, paths: PathContext): ConfigLayer {
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith(ENV_PREFIX) && !KNOWN_ENV.has(name) && !NON_CONFIG_ENV.has(name)) {
      throw configError({ source: 'env', key: name }, `not a configuration variable${suggestion(name)}`);
    }
  }
  const flat = new Map<string, unknown>();
  for (const key of CONFIG_KEYS) {
    const raw = env[key.env];
    if (raw === undefined || raw.trim() === '') continue;
    flat.set(key.path, coerceValue(key, raw, { source: 'env', key: key.env }));
  }
  return buildLayer('env', nest(flat), envOriginOf, paths);
}
