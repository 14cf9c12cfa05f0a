// The validating Kubernetes API server for tests; see server.ts.
export { startKubeApiServer, RequestLog } from './server.ts';
export type { KubeApiServer, KubeApiServerOptions, ObjectValidator, StoreAccess, FaultSpec, InjectedError, RequestLogEntry, RequestLogSummary } from './server.ts';
export type { JsonObject } from './field-sets.ts';
export { SERVED_VERBS } from './discovery.ts';
