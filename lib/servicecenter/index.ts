// The ServiceComb registry adapter: what the rest of sc2mesh imports.
export { RegistryClient, type RegistryReader, type RegistryWriter, type RegistryClientOptions, type BatchFindResult, type FindKey, type ServiceKey, type NewService, type NewInstance, type CallOptions } from './registry-client.ts';
export type { RegistryConnectionOptions, Credentials, RetryOptions } from './registry-http.ts';
export { listGovernance, type GovernanceListing, type UnavailableKind } from './governance-reader.ts';
export { parseRelations, type DependencyGraph, type ConsumerDependencies, type DependencyService, type RejectedDependency, type ProvidersResult } from './dependency-reader.ts';
export type { TlsOptions } from './http-transport.ts';
export { RegistryError, RegistryUnavailableError, TransportError, ErrorCodes, isRegistryError, type RegistryErrorInfo } from './errors.ts';
export { WatchClient, REGISTRY_SELF_NAMES, type WatchClientOptions } from './watch-client.ts';
export type { WatchCounters } from './app-watcher.ts';
export type { WatchClientEvent, WatchClientEventMap, WatchEventType, InstanceChange, ServiceChange, ResyncNeeded, ResyncReason } from './watch-events.ts';
export { backoffDelay, backoffCeiling, type BackoffOptions } from '../retry/backoff.ts';
export { CircuitBreaker, type BreakerState } from './circuit-breaker.ts';
