// How sc2mesh reaches its cluster: a kubeconfig file (local runs), the pod's service
// account (in-cluster), or EKS IAM authentication (Lambda): a bearer token signed with the
// function's AWS credentials, the endpoint and CA from configuration or from
// eks:DescribeCluster. The result is a client-node KubeConfig either way.
import { existsSync } from 'node:fs';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../time/clock.ts';
import { EksTokenSource, type CredentialSource } from './eks-token.ts';

export type ClusterAccessMode = 'kubeconfig' | 'in-cluster' | 'eks' | 'none';

export interface EksAccessSettings {
  clusterName: string;
  region: string;
  /** https://…; with caData, DescribeCluster is not called */
  endpoint?: string;
  /** base64 PEM, as DescribeCluster's certificateAuthority.data */
  caData?: string;
}

/** The cluster part of sc2mesh's configuration (lib/config's `kube` section fits it). */
export interface ClusterAccessSettings {
  mode: ClusterAccessMode;
  /** kubeconfig file; '' = $KUBECONFIG or ~/.kube/config */
  kubeconfig?: string;
  /** kubeconfig context; '' = current-context */
  context?: string;
  eks?: EksAccessSettings;
}

export interface ClusterAccessDeps {
  /** AWS credentials for EKS; default the SDK's provider chain (Lambda role, env, profile…) */
  credentials?: CredentialSource;
  describeCluster?: (clusterName: string, region: string) => Promise<{ endpoint: string; caData: string }>;
  /** when EKS tokens are signed and renewed; default the system clock */
  clock?: Pick<Clock, 'now'>;
  /** tests only: reach a plain-HTTP endpoint */
  insecureSkipTlsVerify?: boolean;
  /** where the service account files are mounted (tests); default '' (the real paths) */
  inClusterPathPrefix?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ClusterAccess {
  kubeConfig: KubeConfig;
  /** the API server URL */
  server: string;
  /** one line for logs: mode and server, never credentials */
  description: string;
  /** the namespace the kubeconfig context or service account names, if any */
  contextNamespace: string | undefined;
  /** EKS mode: the token source (its `issued` counter shows renewals) */
  tokenSource?: EksTokenSource;
}

export const EKS_USER = 'sc2mesh-eks';

export class ClusterAccessError extends Error {
  override readonly name = 'ClusterAccessError';
}

async function describeWithSdk(clusterName: string, region: string): Promise<{ endpoint: string; caData: string }> {
  const client = new EKSClient({ region });
  try {
    const out = await client.send(new DescribeClusterCommand({ name: clusterName }));
    const endpoint = out.cluster?.endpoint;
    const caData = out.cluster?.certificateAuthority?.data;
    if (endpoint === undefined || caData === undefined) throw new ClusterAccessError(`kube.eks: DescribeCluster ${clusterName} returned no endpoint or certificate authority`);
    return { endpoint, caData };
  } finally {
    client.destroy();
  }
}

function fromKubeconfigFile(settings: ClusterAccessSettings): ClusterAccess {
  const kc = new KubeConfig();
  const file = settings.kubeconfig ?? '';
  if (file === '') {
    kc.loadFromDefault();
  } else {
    if (!existsSync(file)) throw new ClusterAccessError(`kube.kubeconfig: file not found (got ${JSON.stringify(file)})`);
    kc.loadFromFile(file);
  }
  const context = settings.context ?? '';
  if (context !== '') {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(context)) throw new ClusterAccessError(`kube.context: no context ${JSON.stringify(context)} in the kubeconfig (has ${names.map((n) => JSON.stringify(n)).join(', ') || 'none'})`);
    kc.setCurrentContext(context);
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new ClusterAccessError(`kube.kubeconfig: the current context names no cluster (file ${JSON.stringify(file || 'default')})`);
  const ns = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return { kubeConfig: kc, server: cluster.server, description: `kubeconfig context ${kc.getCurrentContext()} (${cluster.server})`, contextNamespace: ns };
}

function fromServiceAccount(deps: ClusterAccessDeps): ClusterAccess {
  const env = deps.env ?? process.env;
  if ((env['KUBERNETES_SERVICE_HOST'] ?? '') === '') throw new ClusterAccessError('kube.mode in-cluster: KUBERNETES_SERVICE_HOST is not set (not running in a pod?)');
  const kc = new KubeConfig();
  kc.loadFromCluster(deps.inClusterPathPrefix ?? '');
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new ClusterAccessError('kube.mode in-cluster: no cluster');
  const ns = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return { kubeConfig: kc, server: cluster.server, description: `in-cluster service account (${cluster.server})`, contextNamespace: ns };
}

async function fromEks(eks: EksAccessSettings | undefined, deps: ClusterAccessDeps): Promise<ClusterAccess> {
  if (eks === undefined || eks.clusterName === '') throw new ClusterAccessError('kube.eks.clusterName: required in eks mode');
  if (eks.region === '') throw new ClusterAccessError('kube.eks.region: required in eks mode');
  let endpoint = eks.endpoint ?? '';
  let caData = eks.caData ?? '';
  if (endpoint === '' || caData === '') {
    const described = await (deps.describeCluster ?? describeWithSdk)(eks.clusterName, eks.region);
    endpoint = endpoint === '' ? described.endpoint : endpoint;
    caData = caData === '' ? described.caData : caData;
  }
  const insecure = deps.insecureSkipTlsVerify === true;
  if (!insecure && !endpoint.startsWith('https://')) throw new ClusterAccessError(`kube.eks.endpoint: must be an https:// URL (got ${JSON.stringify(endpoint)})`);
  const tokenSource = new EksTokenSource({
    clusterName: eks.clusterName,
    region: eks.region,
    credentials: deps.credentials ?? fromNodeProviderChain(),
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
  });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: eks.clusterName, server: endpoint, ...(insecure ? {} : { caData }), skipTLSVerify: insecure }],
    users: [{ name: EKS_USER }],
    contexts: [{ name: EKS_USER, cluster: eks.clusterName, user: EKS_USER }],
    currentContext: EKS_USER,
  });
  kc.addAuthenticator({
    isAuthProvider: (user) => user.name === EKS_USER,
    applyAuthentication: async (_user, opts) => {
      opts.headers = { ...opts.headers, Authorization: `Bearer ${await tokenSource.getToken()}` };
    },
  });
  return { kubeConfig: kc, server: endpoint, description: `EKS cluster ${eks.clusterName} in ${eks.region} (${endpoint})`, contextNamespace: undefined, tokenSource };
}

export async function loadClusterAccess(settings: ClusterAccessSettings, deps: ClusterAccessDeps = {}): Promise<ClusterAccess> {
  switch (settings.mode) {
    case 'kubeconfig':
      return fromKubeconfigFile(settings);
    case 'in-cluster':
      return fromServiceAccount(deps);
    case 'eks':
      return fromEks(settings.eks, deps);
    case 'none':
      throw new ClusterAccessError('kube.mode is "none": no cluster is configured (write manifests with --out instead)');
  }
}
