// The providers one app's watch has found, and what it needs to tell whether events were
// missed: per provider name the rev of the last find answer, and per instance a
// fingerprint of its content (not the instance: listeners get instances from the events,
// and the push re-reads the registry, so nothing else would read a copy). A find sent
// with the last revs answers only the names that changed; if such a name's instances are
// not what the events since the last find made of them, events were missed.
import type { MicroServiceInstance } from '../model/registry.ts';
import { ErrorCodes } from './errors.ts';
import type { BatchFindResult, FindKey } from './registry-client.ts';

interface Provider {
  /** rev of the last find answer ('' before the first, or once it must be asked afresh) */
  rev: string;
  /** instanceId → fingerprint of the instance, every version of this name */
  prints: Map<string, number>;
}

export interface FindOutcome {
  /** an already-found name came back different from what the events had built */
  drift: boolean;
  /** names the registry could not answer for, with its error */
  failed: { serviceName: string; errorCode: string | undefined; errorMessage: string | undefined }[];
}

/**
 * cyrb53 (a public-domain 53-bit string hash): two 32-bit lanes, so a change going
 * unnoticed needs a 2^-53 collision; one would only delay the repair to the next sync.
 */
export function fingerprint(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

export function instanceFingerprint(instance: MicroServiceInstance): number {
  return fingerprint(JSON.stringify(instance));
}

export class ProviderRevisions {
  readonly #providers = new Map<string, Provider>();

  /** Makes these the watched names; returns those that were not watched before. */
  setNames(names: Iterable<string>): string[] {
    const wanted = new Set(names);
    for (const name of [...this.#providers.keys()]) if (!wanted.has(name)) this.#providers.delete(name);
    const added: string[] = [];
    for (const name of wanted) {
      if (this.#providers.has(name)) continue;
      this.#providers.set(name, { rev: '', prints: new Map() });
      added.push(name);
    }
    return added;
  }

  names(): string[] {
    return [...this.#providers.keys()];
  }

  /** Instances known over every name (a gauge of what is held). */
  get instanceCount(): number {
    let n = 0;
    for (const p of this.#providers.values()) n += p.prints.size;
    return n;
  }

  /** The batch-find keys of these names, each with the rev of its last answer. */
  findKeys(names: readonly string[], appId: string, environment: string): FindKey[] {
    return names.map((serviceName) => ({ appId, serviceName, environment, rev: this.#providers.get(serviceName)?.rev ?? '' }));
  }

  /**
   * Takes a find answer to `findKeys(names)`: each updated name's fingerprints are
   * replaced. Names in `fresh` (found for the first time, or after a reconnect that
   * reports a resync anyway) are not judged.
   */
  applyFind(names: readonly string[], fresh: ReadonlySet<string>, result: BatchFindResult): FindOutcome {
    let drift = false;
    for (const u of result.updated) {
      const name = names[u.index] as string;
      const provider = this.#providers.get(name);
      if (provider === undefined) continue;
      const next = new Map(u.instances.map((i) => [i.instanceId, instanceFingerprint(i)]));
      if (!fresh.has(name) && !samePrints(provider.prints, next)) drift = true;
      provider.prints = next;
      provider.rev = u.rev;
    }
    const failed: FindOutcome['failed'] = [];
    for (const f of result.failed) {
      for (const index of f.indexes) {
        const serviceName = names[index] as string;
        const provider = this.#providers.get(serviceName);
        if (provider === undefined) continue;
        // gone between the listing and the find: forget it until a listing shows it again
        if (f.error.errorCode === ErrorCodes.serviceNotExists) {
          provider.prints = new Map();
          provider.rev = '';
        }
        failed.push({ serviceName, errorCode: f.error.errorCode, errorMessage: f.error.errorMessage });
      }
    }
    return { drift, failed };
  }

  /** An instance event: what the next find with the last rev is compared with. */
  applyEvent(action: 'CREATE' | 'UPDATE' | 'DELETE', serviceName: string, instance: MicroServiceInstance): void {
    const provider = this.#providers.get(serviceName);
    if (provider === undefined) return;
    if (action === 'DELETE') provider.prints.delete(instance.instanceId);
    else provider.prints.set(instance.instanceId, instanceFingerprint(instance));
  }

  /** Every name is asked afresh by the next find (a new consumer has no revs of its own). */
  forgetRevs(): void {
    for (const p of this.#providers.values()) p.rev = '';
  }
}

function samePrints(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, print] of a) if (b.get(id) !== print) return false;
  return true;
}
