// Where each value of a loaded configuration came from, kept beside the object (not in
// it) so the config stays plain data; describeConfig uses it to annotate its output.
import type { Origin } from './errors.ts';
import type { Sc2meshConfig } from './schema.ts';

const ORIGINS = new WeakMap<Sc2meshConfig, ReadonlyMap<string, Origin>>();

export function recordOrigins(config: Sc2meshConfig, origins: ReadonlyMap<string, Origin>): void {
  ORIGINS.set(config, origins);
}

/** Where `kube.qps` of a config returned by loadConfig came from; undefined for other objects. */
export function configOrigin(config: Sc2meshConfig, keyPath: string): Origin | undefined {
  return ORIGINS.get(config)?.get(keyPath);
}
