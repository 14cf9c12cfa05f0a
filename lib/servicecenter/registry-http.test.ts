import { describe, it, expect } from '@jest/globals';
import { TransportError, RegistryError, RegistryUnavailableError } from './errors.ts';
import type { HttpRequest, HttpResponse, HttpTransport } from './http-transport.ts';
import { RegistryHttp, decodeError } from './registry-http.ts';

type Step = HttpResponse | TransportError;

/** A transport that plays a script and records what was sent. */
function scripted(steps: Step[]): HttpTransport & { sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  return {
    sent,
    send(request) {
      sent.push(request);
      const step = steps.shift();
      if (step === undefined) return Promise.reject(new Error('script exhausted'));
      return step instanceof TransportError ? Promise.reject(step) : Promise.resolve(step);
    },
    close() {},
  };
}

const ok = (body: unknown = {}): HttpResponse => ({ status: 200, headers: {}, body: JSON.stringify(body) });
const status = (code: number, body: unknown = { errorCode: String(code * 1000), errorMessage: 'x' }): HttpResponse => ({ status: code, headers: {}, body: JSON.stringify(body) });
const refused = (address: string): TransportError => new TransportError('refused', address, 'ECONNREFUSED', true);
const reset = (address: string): TransportError => new TransportError('reset', address, 'ECONNRESET', false);

const A = 'http://a:1';
const B = 'http://b:1';
const get = { method: 'GET' as const, path: '/v4/default/registry/microservices', idempotent: true };

describe('RegistryHttp', () => {
  it('sends the domain header, and retries 5xx on the same address after a backoff', async () => {
    const t = scripted([status(503), status(500), ok({ services: [] })]);
    const http = new RegistryHttp({ addresses: [A], domain: 'team', transport: t, random: () => 0 });
    const answer = await http.request(get);
    expect(answer.json).toEqual({ services: [] });
    expect(t.sent.map((r) => `${r.url.origin} ${r.headers['x-domain-name']}`)).toEqual([`${A} team`, `${A} team`, `${A} team`]);
  });

  it('fails over at once to an untried address', async () => {
    const t = scripted([refused(A), ok()]);
    const http = new RegistryHttp({ addresses: [A, B], transport: t, random: () => 0 });
    expect((await http.request(get)).address).toBe(B);
    expect(http.pool.current()).toBe(B);
  });

  it('never retries a 4xx, and throws it as a RegistryError with its code', async () => {
    const t = scripted([status(400, { errorCode: 400012, errorMessage: 'service does not exist' })]);
    const http = new RegistryHttp({ addresses: [A], transport: t });
    const error = (await http.request(get).catch((e: unknown) => e)) as RegistryError;
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ status: 400, errorCode: '400012', errorMessage: 'service does not exist' });
    expect(t.sent).toHaveLength(1);
  });

  it('resends a non-idempotent call only when it certainly was not sent', async () => {
    const post = { method: 'POST' as const, path: '/x', body: { a: 1 }, idempotent: false };
    const t1 = scripted([refused(A), ok({ instanceId: 'i' })]);
    expect((await new RegistryHttp({ addresses: [A], transport: t1, random: () => 0 }).request(post)).json).toEqual({ instanceId: 'i' });
    const t2 = scripted([reset(A), ok()]);
    await expect(new RegistryHttp({ addresses: [A], transport: t2, random: () => 0 }).request(post)).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(t2.sent).toHaveLength(1);
  });

  it('logs in, and on a 401 logs in again and resends once', async () => {
    const t = scripted([ok({ token: 't1' }), status(401), ok({ token: 't2' }), ok({ services: [] })]);
    const http = new RegistryHttp({ addresses: [A], credentials: { name: 'n', password: 'p' }, transport: t });
    await http.request(get);
    expect(t.sent.map((r) => `${r.method} ${r.url.pathname} ${r.headers['authorization'] ?? '-'}`)).toEqual([
      'POST /v4/token -',
      'GET /v4/default/registry/microservices Bearer t1',
      'POST /v4/token -',
      'GET /v4/default/registry/microservices Bearer t2',
    ]);
    expect(JSON.parse(t.sent[0]?.body ?? '')).toEqual({ name: 'n', password: 'p' });
  });

  it('gives up with the last cause after maxAttempts, and fails fast once every breaker is open', async () => {
    const t = scripted([refused(A), refused(A), refused(A)]);
    const http = new RegistryHttp({ addresses: [A], transport: t, retry: { maxAttempts: 3 }, breaker: { failureThreshold: 5 }, random: () => 0 });
    const error = (await http.request(get).catch((e: unknown) => e)) as RegistryUnavailableError;
    expect(error.attempts).toBe(3);
    expect((error.cause as TransportError).code).toBe('ECONNREFUSED');
    const t2 = scripted([refused(A)]);
    const fragile = new RegistryHttp({ addresses: [A], transport: t2, retry: { maxAttempts: 3 }, breaker: { failureThreshold: 1, coolDownMs: 60_000 }, random: () => 0 });
    await expect(fragile.request(get)).rejects.toThrow('open circuit breaker');
    expect(t2.sent).toHaveLength(1);
  });

  it('decodes error bodies: string or number codes, plain text, empty', () => {
    const req = { method: 'GET' as const, path: '/p', idempotent: true };
    expect(decodeError(status(400, { errorCode: '400001', errorMessage: 'bad', detail: 'd' }), req, A)).toMatchObject({ errorCode: '400001', errorMessage: 'bad', detail: 'd' });
    expect(decodeError(status(400, { errorCode: 400026 }), req, A).errorCode).toBe('400026');
    const text = decodeError({ status: 502, headers: {}, body: '<html>bad gateway</html>' }, req, A);
    expect(text).toMatchObject({ status: 502, errorCode: undefined, errorMessage: '<html>bad gateway</html>' });
    expect(text.message).toBe('GET /p at http://a:1: HTTP 502: <html>bad gateway</html>');
    expect(decodeError({ status: 503, headers: {}, body: '' }, req, A).errorMessage).toBeUndefined();
  });
});
