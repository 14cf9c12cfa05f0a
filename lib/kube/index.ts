// The Kubernetes adapter: cluster access (kubeconfig, in-cluster, EKS) and the writer
// that implements the pipeline's ClusterTarget.
export { loadClusterAccess, ClusterAccessError, EKS_USER } from './kube-config.ts';
export type { ClusterAccess, ClusterAccessDeps, ClusterAccessMode, ClusterAccessSettings, EksAccessSettings } from './kube-config.ts';
export { createEksToken, decodeEksToken, presignGetCallerIdentity, EksTokenSource, EKS_TOKEN_PREFIX, TOKEN_VALIDITY_MS, RENEW_BEFORE_MS } from './eks-token.ts';
export type { AwsCredentials, CredentialSource, EksToken, EksTokenRequest } from './eks-token.ts';
export { KubeClusterWriter, createKubeClusterWriter, FIELD_MANAGER, DEFAULT_KINDS, DEFAULT_RATE_LIMIT } from './writer.ts';
export { PER_CONSUMER_KINDS } from '../model/istio.ts';
export type {
  ApplyOptions,
  ApplyReport,
  ConflictType,
  DeleteOptions,
  DeleteReport,
  KubeWriterOptions,
  ListObjectsOptions,
  ListOwnedOptions,
  ObjectFailure,
  OwnedObjectMeta,
} from './writer.ts';
export type { WriterMetrics } from './writer-metrics.ts';
export { TokenBucket, UnlimitedRate, createRateLimiter, type RateLimiter, type RateLimitSettings } from './rate-limiter.ts';
export { withRetry, classify, parseRetryAfter, retryDelay, DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryOptions, type RetryEvent } from './retry.ts';
export { createIstioObjectsClient, PLURALS, type IstioObjectsClient, type ListedObject, type ObjectMeta } from './istio-client.ts';
export { namespaceScope, type NamespacesByKind, type NamespaceScope } from './namespace-scope.ts';
