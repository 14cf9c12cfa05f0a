// One HTTP request to one address, over node:http / node:https with keep-alive. TLS
// verification is on unless the caller turns it off explicitly; a CA bundle is passed
// to the agent, so a private registry CA works without touching the process trust.
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { TransportError } from './errors.ts';

export interface TlsOptions {
  /** PEM CA bundle trusted for the registry (in addition to nothing: it replaces the default roots) */
  ca?: string | Buffer | Array<string | Buffer>;
  /** default true; false accepts any certificate (never in production) */
  rejectUnauthorized?: boolean;
  /** client certificate and key for mutual TLS */
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResponse>;
  /** drops idle keep-alive sockets so the process can exit */
  close(): void;
}

// Errors raised before a byte of the request can have reached a server.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

const MAX_BODY_BYTES = 512 * 1024 * 1024;

export class NodeHttpTransport implements HttpTransport {
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;

  constructor(tls: TlsOptions = {}) {
    this.#httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const agentOptions: https.AgentOptions = { keepAlive: true, maxSockets: 64, rejectUnauthorized: tls.rejectUnauthorized !== false };
    if (tls.ca !== undefined) agentOptions.ca = tls.ca;
    if (tls.cert !== undefined) agentOptions.cert = tls.cert;
    if (tls.key !== undefined) agentOptions.key = tls.key;
    if (tls.servername !== undefined) agentOptions.servername = tls.servername;
    this.#httpsAgent = new https.Agent(agentOptions);
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const address = request.url.origin;
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]);
    const isHttps = request.url.protocol === 'https:';
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    return new Promise<HttpResponse>((resolve, reject) => {
      const fail = (error: unknown): void => {
        if (request.signal?.aborted === true) {
          reject(request.signal.reason instanceof Error ? request.signal.reason : new Error('aborted'));
          return;
        }
        if (timeout.aborted) {
          reject(new TransportError(`${request.method} ${request.url.pathname} at ${address}: no answer within ${request.timeoutMs} ms`, address, 'ETIMEDOUT', false, error));
          return;
        }
        const code = (error as NodeJS.ErrnoException | undefined)?.code;
        const message = error instanceof Error ? error.message : String(error);
        reject(new TransportError(`${request.method} ${request.url.pathname} at ${address}: ${message}`, address, code, code !== undefined && NOT_SENT_CODES.has(code), error));
      };
      const options: http.RequestOptions = {
        method: request.method,
        headers,
        signal,
        agent: isHttps ? this.#httpsAgent : this.#httpAgent,
      };
      const req = (isHttps ? https : http).request(request.url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            res.destroy(new Error(`response larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.on('error', fail);
      req.end(request.body);
    });
  }

  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}
