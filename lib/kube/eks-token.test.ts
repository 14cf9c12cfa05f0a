import { describe, expect, it } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import { createEksToken, decodeEksToken, EKS_TOKEN_PREFIX, EksTokenSource, presignGetCallerIdentity, stsHostname, TOKEN_VALIDITY_MS } from './eks-token.ts';

// The AWS documentation's example credentials: fixed inputs make the token fixed.
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SIGNED_AT = new Date('2024-01-02T03:04:05Z');

const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s).digest();
/** RFC 3986 encoding, as SigV4 wants it. */
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The token written out by hand from the SigV4 presigning steps (canonical request,
 * string to sign, derived key), independent of @smithy/signature-v4.
 */
function tokenByHand(o: { cluster: string; region: string; sessionToken?: string }): { token: string; signature: string; canonicalRequest: string } {
  const host = `sts.${o.region}.amazonaws.com`;
  const amzDate = '20240102T030405Z';
  const scope = `20240102/${o.region}/sts/aws4_request`;
  const params: [string, string][] = [
    ['Action', 'GetCallerIdentity'],
    ['Version', '2011-06-15'],
    ...(o.sessionToken === undefined ? [] : ([['X-Amz-Security-Token', o.sessionToken]] as [string, string][])),
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${CREDENTIALS.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', '60'],
    ['X-Amz-SignedHeaders', 'host;x-k8s-aws-id'],
  ];
  const canonicalQuery = [...params]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${host}\nx-k8s-aws-id:${o.cluster}\n`, 'host;x-k8s-aws-id', sha256Hex('')].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const kDate = hmac(`AWS4${CREDENTIALS.secretAccessKey}`, '20240102');
  const kSigning = hmac(hmac(hmac(kDate, o.region), 'sts'), 'aws4_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign).digest('hex');
  const query = [...params, ['X-Amz-Signature', signature] as [string, string]].map(([k, v]) => `${k}=${uriEncode(v)}`).join('&');
  const url = `https://${host}/?${query}`;
  const token = `k8s-aws-v1.${Buffer.from(url).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
  return { token, signature, canonicalRequest };
}

describe('EKS token', () => {
  it('equals the token derived by hand from the SigV4 presigning steps', async () => {
    const { token, expiresAt } = await createEksToken({ clusterName: 'my-cluster', region: 'us-east-1', credentials: CREDENTIALS, signingDate: SIGNED_AT });
    const expected = tokenByHand({ cluster: 'my-cluster', region: 'us-east-1' });
    expect(token).toBe(expected.token);
    // Pinned as well, so a change in either derivation shows up.
    expect(expected.signature).toBe('b9c52540c7aed8adbc93935c90eca6cf36a27e75841b841bf1c08dffb059c2b5');
    expect(expiresAt).toBe(SIGNED_AT.getTime() + TOKEN_VALIDITY_MS);
  });

  it('carries the session token of temporary credentials inside the signature', async () => {
    const sessionToken = 'FwoGZXIvYXdzEJr//////////wEaDH+example/token==';
    const { token } = await createEksToken({ clusterName: 'prod', region: 'eu-west-1', credentials: { ...CREDENTIALS, sessionToken }, signingDate: SIGNED_AT });
    expect(token).toBe(tokenByHand({ cluster: 'prod', region: 'eu-west-1', sessionToken }).token);
    expect(decodeEksToken(token).searchParams.get('X-Amz-Security-Token')).toBe(sessionToken);
  });

  it('is a presigned GetCallerIdentity URL signing the cluster header, base64url without padding', async () => {
    const { token } = await createEksToken({ clusterName: 'my-cluster', region: 'us-east-1', credentials: CREDENTIALS, signingDate: SIGNED_AT });
    expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
    expect(token.slice(EKS_TOKEN_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
    const url = decodeEksToken(token);
    expect(url.origin).toBe('https://sts.us-east-1.amazonaws.com');
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20240102/us-east-1/sts/aws4_request',
      'X-Amz-Date': '20240102T030405Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
    });
    // The cluster name travels as a signed header, never in the query.
    expect(q['x-k8s-aws-id']).toBeUndefined();
  });

  it('signs the same inputs the same way, and a different cluster or time differently', async () => {
    const sig = async (cluster: string, at: Date) =>
      (await presignGetCallerIdentity({ clusterName: cluster, region: 'us-east-1', credentials: CREDENTIALS, signingDate: at })).searchParams.get('X-Amz-Signature');
    const a = await sig('my-cluster', SIGNED_AT);
    expect(await sig('my-cluster', SIGNED_AT)).toBe(a);
    expect(await sig('other-cluster', SIGNED_AT)).not.toBe(a);
    expect(await sig('my-cluster', new Date(SIGNED_AT.getTime() + 1000))).not.toBe(a);
  });

  it('uses the regional STS host, with the China partition domain', () => {
    expect(stsHostname('eu-central-1')).toBe('sts.eu-central-1.amazonaws.com');
    expect(stsHostname('cn-north-1')).toBe('sts.cn-north-1.amazonaws.com.cn');
  });

  it('refuses to sign without a cluster or region', async () => {
    await expect(createEksToken({ clusterName: '', region: 'us-east-1', credentials: CREDENTIALS })).rejects.toThrow('clusterName is required');
    await expect(createEksToken({ clusterName: 'c', region: '', credentials: CREDENTIALS })).rejects.toThrow('region is required');
  });
});

describe('EksTokenSource', () => {
  it('reuses a token until a minute before its 15 minutes are up, then signs a new one', async () => {
    let now = SIGNED_AT.getTime() + 400; // milliseconds do not extend the window
    let credentialCalls = 0;
    const source = new EksTokenSource({
      clusterName: 'my-cluster',
      region: 'us-east-1',
      credentials: async () => {
        credentialCalls++;
        return CREDENTIALS;
      },
      clock: { now: () => now },
    });
    const first = await source.getToken();
    expect(first).toBe(tokenByHand({ cluster: 'my-cluster', region: 'us-east-1' }).token);
    now = SIGNED_AT.getTime() + 14 * 60_000 - 1;
    expect(await source.getToken()).toBe(first);
    expect(source.issued).toBe(1);
    now = SIGNED_AT.getTime() + 14 * 60_000;
    const second = await source.getToken();
    expect(second).not.toBe(first);
    expect(decodeEksToken(second).searchParams.get('X-Amz-Date')).toBe('20240102T031805Z');
    expect(source.issued).toBe(2);
    expect(credentialCalls).toBe(2);
  });

  it('signs once for concurrent callers', async () => {
    const source = new EksTokenSource({ clusterName: 'c', region: 'us-east-1', credentials: CREDENTIALS, clock: { now: () => SIGNED_AT.getTime() } });
    const tokens = await Promise.all(Array.from({ length: 5 }, () => source.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(source.issued).toBe(1);
  });
});
