// One tenant's consumer→provider records, kept both ways. As service-center keeps its
// dependency rules (datasource/etcd/util/dependency_query.go): a consumer is one service
// (one exact version, so one serviceId) and depends on a provider *name*
// (environment/appId/serviceName) with every version of it; the provider's version in a
// find or an explicit rule is reset to "all versions" (datasource.AllVersions) before it
// is stored. Which serviceIds a name stands for is resolved at read time by the store.

export class DependencyIndex {
  /** consumer serviceId → provider name keys */
  readonly #providers = new Map<string, Set<string>>();
  /** provider name key → consumer serviceIds */
  readonly #consumers = new Map<string, Set<string>>();

  has(consumerId: string, providerNameKey: string): boolean {
    return this.#providers.get(consumerId)?.has(providerNameKey) === true;
  }

  add(consumerId: string, providerNameKey: string): void {
    let names = this.#providers.get(consumerId);
    if (names === undefined) this.#providers.set(consumerId, (names = new Set()));
    names.add(providerNameKey);
    let consumers = this.#consumers.get(providerNameKey);
    if (consumers === undefined) this.#consumers.set(providerNameKey, (consumers = new Set()));
    consumers.add(consumerId);
  }

  /** The consumer's rules become exactly these (the override of PUT /registry/dependencies). */
  replace(consumerId: string, providerNameKeys: Iterable<string>): void {
    this.removeConsumer(consumerId);
    for (const name of providerNameKeys) this.add(consumerId, name);
  }

  /** Every rule of this consumer (it was deleted, or is overridden). */
  removeConsumer(consumerId: string): void {
    for (const name of this.#providers.get(consumerId) ?? []) this.#unlink(name, consumerId);
    this.#providers.delete(consumerId);
  }

  /** Every rule naming this provider (no service of that name is left). */
  removeProviderName(providerNameKey: string): void {
    for (const consumerId of this.#consumers.get(providerNameKey) ?? []) {
      const names = this.#providers.get(consumerId);
      names?.delete(providerNameKey);
      if (names?.size === 0) this.#providers.delete(consumerId);
    }
    this.#consumers.delete(providerNameKey);
  }

  providerNamesOf(consumerId: string): string[] {
    return [...(this.#providers.get(consumerId) ?? [])];
  }

  consumersOf(providerNameKey: string): ReadonlySet<string> {
    return this.#consumers.get(providerNameKey) ?? new Set();
  }

  /** Every provider name some consumer depends on. */
  providerNames(): string[] {
    return [...this.#consumers.keys()];
  }

  #unlink(providerNameKey: string, consumerId: string): void {
    const consumers = this.#consumers.get(providerNameKey);
    consumers?.delete(consumerId);
    if (consumers?.size === 0) this.#consumers.delete(providerNameKey);
  }
}
