// EKS IAM authentication, as `aws eks get-token` does it: the bearer token is
// `k8s-aws-v1.` + base64url (no padding) of a presigned STS GetCallerIdentity URL whose
// signature covers the `x-k8s-aws-id: <cluster name>` header. The API server's
// authenticator replays the URL against STS to learn who we are. A token is good for
// 15 minutes from its signing time; we renew one a minute before that.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { systemClock, type Clock } from '../time/clock.ts';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** What the presigned URL itself allows; EKS then honours the token for 15 minutes. */
export const PRESIGN_EXPIRES_SECONDS = 60;
export const TOKEN_VALIDITY_MS = 15 * 60_000;
export const RENEW_BEFORE_MS = 60_000;

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** An AWS SDK credential provider (e.g. fromNodeProviderChain()) or fixed credentials. */
export type CredentialSource = AwsCredentials | (() => Promise<AwsCredentials>);

export interface EksTokenRequest {
  clusterName: string;
  region: string;
  credentials: CredentialSource;
  /** signing time; default now */
  signingDate?: Date;
}

export interface EksToken {
  token: string;
  /** epoch ms after which EKS refuses the token */
  expiresAt: number;
}

/** The regional STS host (aws-iam-authenticator's default), with China's own domain. */
export function stsHostname(region: string): string {
  return `sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

function credentialProvider(source: CredentialSource): () => Promise<AwsCredentials> {
  return typeof source === 'function' ? source : () => Promise.resolve(source);
}

/** The presigned GetCallerIdentity URL a token wraps. */
export async function presignGetCallerIdentity(request: EksTokenRequest): Promise<URL> {
  if (request.clusterName === '') throw new Error('eks token: clusterName is required');
  if (request.region === '') throw new Error('eks token: region is required');
  const hostname = stsHostname(request.region);
  const signer = new SignatureV4({ service: 'sts', region: request.region, credentials: credentialProvider(request.credentials), sha256: Sha256, uriEscapePath: true });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, [CLUSTER_ID_HEADER]: request.clusterName },
    },
    { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: request.signingDate ?? new Date() },
  );
  const url = new URL(`https://${hostname}/`);
  for (const [k, v] of Object.entries(signed.query ?? {})) {
    if (typeof v === 'string') url.searchParams.append(k, v);
    else if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, item);
  }
  return url;
}

export async function createEksToken(request: EksTokenRequest): Promise<EksToken> {
  const signingDate = request.signingDate ?? new Date();
  const url = await presignGetCallerIdentity({ ...request, signingDate });
  // Whole seconds: X-Amz-Date has no milliseconds, so neither has the validity window.
  const signedAt = Math.floor(signingDate.getTime() / 1000) * 1000;
  return { token: EKS_TOKEN_PREFIX + Buffer.from(url.toString(), 'utf8').toString('base64url'), expiresAt: signedAt + TOKEN_VALIDITY_MS };
}

/** Reads the presigned URL back out of a token (for tests and diagnostics). */
export function decodeEksToken(token: string): URL {
  if (!token.startsWith(EKS_TOKEN_PREFIX)) throw new Error(`eks token: expected the ${EKS_TOKEN_PREFIX} prefix`);
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

export interface EksTokenSourceOptions {
  clusterName: string;
  region: string;
  credentials: CredentialSource;
  clock?: Pick<Clock, 'now'>;
}

/** Hands out a cached token and signs a new one shortly before the old one expires. */
export class EksTokenSource {
  readonly #options: EksTokenSourceOptions;
  readonly #clock: Pick<Clock, 'now'>;
  #current: EksToken | undefined;
  #pending: Promise<EksToken> | undefined;
  #issued = 0;

  constructor(options: EksTokenSourceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** how many tokens were signed so far */
  get issued(): number {
    return this.#issued;
  }

  async getToken(): Promise<string> {
    const current = this.#current;
    if (current !== undefined && this.#clock.now() < current.expiresAt - RENEW_BEFORE_MS) return current.token;
    // Concurrent callers share one signing.
    this.#pending ??= createEksToken({ ...this.#options, signingDate: new Date(this.#clock.now()) }).then(
      (token) => {
        this.#current = token;
        this.#issued++;
        this.#pending = undefined;
        return token;
      },
      (error: unknown) => {
        this.#pending = undefined;
        throw error;
      },
    );
    return (await this.#pending).token;
  }
}
