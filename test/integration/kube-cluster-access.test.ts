// Cluster access: a kubeconfig file, the in-cluster service account, and EKS IAM tokens —
// the last one end to end: the writer's requests reach the test API server with a
// `k8s-aws-v1.` bearer token that is renewed before it expires.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeEksToken, EKS_TOKEN_PREFIX } from '../../lib/kube/eks-token.ts';
import { loadClusterAccess } from '../../lib/kube/kube-config.ts';
import { KubeClusterWriter } from '../../lib/kube/writer.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { serviceEntry } from '../support/kube-api-server/istio-fixtures.ts';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('kubeconfig mode', () => {
  let server: KubeApiServer;
  beforeAll(async () => {
    server = await startKubeApiServer({ namespace: 'from-context' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('loads the file and context, and the writer works through it', async () => {
    const access = await loadClusterAccess({ mode: 'kubeconfig', kubeconfig: server.kubeconfigPath, context: 'sc2mesh-test' });
    expect(access.server).toBe(server.url);
    expect(access.contextNamespace).toBe('from-context');
    expect(access.description).toBe(`kubeconfig context sc2mesh-test (${server.url})`);
    const writer = new KubeClusterWriter({ kubeConfig: access.kubeConfig, namespace: 'from-context', source: 'registry-a', rateLimit: false });
    const report = await writer.apply([serviceEntry('via-file', { namespace: 'from-context' })]);
    expect(report.created).toEqual(['ServiceEntry/from-context/via-file']);
  });

  it('names the missing file or context', async () => {
    await expect(loadClusterAccess({ mode: 'kubeconfig', kubeconfig: '/nonexistent/kubeconfig' })).rejects.toThrow('kube.kubeconfig: file not found (got "/nonexistent/kubeconfig")');
    await expect(loadClusterAccess({ mode: 'kubeconfig', kubeconfig: server.kubeconfigPath, context: 'prod' })).rejects.toThrow(
      'kube.context: no context "prod" in the kubeconfig (has "sc2mesh-test")',
    );
    await expect(loadClusterAccess({ mode: 'none' })).rejects.toThrow('kube.mode is "none"');
  });
});

describe('in-cluster mode', () => {
  it('uses the service account token, CA and namespace files', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'sc2mesh-sa-'));
    try {
      const dir = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'token'), 'sa-token');
      writeFileSync(path.join(dir, 'ca.crt'), 'not-a-real-ca');
      writeFileSync(path.join(dir, 'namespace'), 'istio-config');
      const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        const access = await loadClusterAccess({ mode: 'in-cluster' }, { inClusterPathPrefix: root, env });
        expect(access.server).toBe('https://10.96.0.1:443');
        expect(access.contextNamespace).toBe('istio-config');
        const user = access.kubeConfig.getCurrentUser();
        expect(user?.authProvider?.config?.['tokenFile']).toBe(path.join(dir, 'token'));
        expect(access.kubeConfig.getCurrentCluster()?.skipTLSVerify).toBe(false);
      } finally {
        process.env = saved;
      }
      await expect(loadClusterAccess({ mode: 'in-cluster' }, { env: {} })).rejects.toThrow('KUBERNETES_SERVICE_HOST is not set');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('EKS mode', () => {
  let server: KubeApiServer;
  const seen: string[] = [];
  beforeAll(async () => {
    server = await startKubeApiServer({
      namespace: 'mesh',
      // Stands in for the EKS authenticator: only a presigned GetCallerIdentity for our cluster passes.
      authenticate: (authorization) => {
        if (authorization?.startsWith(`Bearer ${EKS_TOKEN_PREFIX}`) !== true) return false;
        const token = authorization.slice('Bearer '.length);
        const url = decodeEksToken(token);
        seen.push(token);
        return url.searchParams.get('Action') === 'GetCallerIdentity' && url.searchParams.get('X-Amz-SignedHeaders') === 'host;x-k8s-aws-id';
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('signs requests with an IAM token, renewed a minute before its 15 minutes are up', async () => {
    let now = Date.parse('2025-03-01T10:00:00Z');
    const described: string[] = [];
    const access = await loadClusterAccess(
      { mode: 'eks', eks: { clusterName: 'prod-cluster', region: 'eu-west-1' } },
      {
        credentials: CREDENTIALS,
        clock: { now: () => now },
        insecureSkipTlsVerify: true,
        describeCluster: async (name, region) => {
          described.push(`${name}@${region}`);
          return { endpoint: server.url, caData: Buffer.from('ca').toString('base64') };
        },
      },
    );
    expect(described).toEqual(['prod-cluster@eu-west-1']);
    expect(access.description).toBe(`EKS cluster prod-cluster in eu-west-1 (${server.url})`);
    const writer = new KubeClusterWriter({ kubeConfig: access.kubeConfig, namespace: 'mesh', source: 'registry-a', rateLimit: false });
    await writer.apply([serviceEntry('eks-a', { namespace: 'mesh' })]);
    await writer.listOwned();
    expect(access.tokenSource?.issued).toBe(1);
    expect(new Set(seen).size).toBe(1);
    expect(decodeEksToken(seen[0] as string).searchParams.get('X-Amz-Date')).toBe('20250301T100000Z');

    now += 14 * 60_000;
    await writer.listOwned();
    expect(access.tokenSource?.issued).toBe(2);
    expect(decodeEksToken(seen.at(-1) as string).searchParams.get('X-Amz-Date')).toBe('20250301T101400Z');
  });

  it('is refused without a valid token', async () => {
    const noAuth = new KubeClusterWriter({ kubeConfig: server.kubeConfig, namespace: 'mesh', source: 'registry-a', rateLimit: false });
    await expect(noAuth.listOwned()).rejects.toMatchObject({ code: 401 });
  });

  it('takes endpoint and CA from configuration without DescribeCluster, and wants https', async () => {
    const describeCluster = async (): Promise<never> => {
      throw new Error('must not be called');
    };
    const access = await loadClusterAccess(
      { mode: 'eks', eks: { clusterName: 'c', region: 'us-east-1', endpoint: 'https://ABC.gr7.us-east-1.eks.amazonaws.com', caData: Buffer.from('ca').toString('base64') } },
      { credentials: CREDENTIALS, describeCluster },
    );
    expect(access.server).toBe('https://ABC.gr7.us-east-1.eks.amazonaws.com');
    expect(access.kubeConfig.getCurrentCluster()).toMatchObject({ skipTLSVerify: false, caData: Buffer.from('ca').toString('base64') });
    await expect(loadClusterAccess({ mode: 'eks', eks: { clusterName: 'c', region: 'us-east-1', endpoint: 'http://plain', caData: 'Y2E=' } }, { credentials: CREDENTIALS })).rejects.toThrow(
      'kube.eks.endpoint: must be an https:// URL (got "http://plain")',
    );
    await expect(loadClusterAccess({ mode: 'eks', eks: { clusterName: '', region: 'us-east-1' } })).rejects.toThrow('kube.eks.clusterName: required in eks mode');
  });
});
