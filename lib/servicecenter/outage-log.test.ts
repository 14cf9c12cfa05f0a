import { describe, it, expect } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger } from '../log.ts';
import { RegistryError, RegistryUnavailableError, TransportError } from './errors.ts';
import { OutageLog, unreachableCause } from './outage-log.ts';

function captured(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

const A = 'http://10.0.0.1:30100';
const refused = new RegistryUnavailableError('registry unavailable after 3 attempt(s)', 3, new TransportError(`GET /x at ${A}: connect ECONNREFUSED`, A, 'ECONNREFUSED', true));

describe('unreachableCause', () => {
  it('names the address and the cause of network errors, timeouts and 5xx, and nothing else', () => {
    expect(unreachableCause(refused)).toEqual({ address: A, cause: 'ECONNREFUSED' });
    expect(unreachableCause(new TransportError('t', A, 'ETIMEDOUT', false))).toEqual({ address: A, cause: 'ETIMEDOUT' });
    const e503 = new RegistryError({ status: 503, method: 'GET', path: '/x', address: A, errorCode: '500011', errorMessage: 'backend down', detail: undefined });
    expect(unreachableCause(new RegistryUnavailableError('x', 1, e503))).toEqual({ address: A, cause: 'HTTP 503 500011: backend down' });
    expect(unreachableCause(new RegistryUnavailableError('every registry address has an open circuit breaker', 0, undefined))).toEqual({
      address: undefined,
      cause: 'every registry address has an open circuit breaker',
    });
    const e400 = new RegistryError({ status: 400, method: 'GET', path: '/x', address: A, errorCode: '400001', errorMessage: 'bad', detail: undefined });
    expect(unreachableCause(e400)).toBeUndefined();
    expect(unreachableCause(new Error('bug'))).toBeUndefined();
  });
});

describe('OutageLog', () => {
  it('says it once, then at a slowing rate with the failures since the last line, then once when it is back', () => {
    let t = 0;
    const { lines, stream } = captured();
    const log = new OutageLog({ logger: createLogger({ level: 'info', destination: stream }), firstRepeatMs: 1_000, maxRepeatMs: 4_000, clock: { now: () => t } });
    const cause = unreachableCause(refused);
    if (cause === undefined) throw new Error('expected a cause');
    // 24 apps and a listing failing every 100 ms, for 20 s
    for (t = 0; t <= 20_000; t += 100) {
      for (let app = 0; app < 24; app++) log.failure('watch connect', cause);
      log.failure('listing', { address: undefined, cause: 'every registry address has an open circuit breaker' });
    }
    t = 20_050;
    log.recovered();
    log.recovered();
    const [first, ...rest] = lines;
    expect(first).toMatchObject({ level: 40, address: A, cause: 'ECONNREFUSED', msg: `registry unreachable at ${A}: ECONNREFUSED; retrying, and keeping the last view` });
    const repeats = rest.filter((l) => l['level'] === 40);
    // gaps of 1, 2, 4, 4, 4, 4 s: 1 + 3 + 7 + 11 + 15 + 19
    expect(repeats.map((l) => l['downForMs'])).toEqual([1_000, 3_000, 7_000, 11_000, 15_000, 19_000]);
    // a breaker refusal keeps the address and cause of the failure that opened the breakers
    expect(repeats.every((l) => l['address'] === A && l['cause'] === 'ECONNREFUSED')).toBe(true);
    // the 24 after the first line at t=0, 25 at each of t=100..900, and the one that made the line
    expect(repeats[0]?.['failures']).toBe(24 + 9 * 25 + 1);
    const back = rest.filter((l) => l['level'] === 30);
    expect(back).toEqual([expect.objectContaining({ address: A, downForMs: 20_050, failures: 201 * 25, msg: 'registry reachable again after 20.1 s' })]);
    expect(lines.some((l) => 'err' in l || 'stack' in l)).toBe(false);
  });

  it('starts a new account after the registry came back', () => {
    let t = 0;
    const { lines, stream } = captured();
    const log = new OutageLog({ logger: createLogger({ level: 'info', destination: stream }), clock: { now: () => t } });
    log.recovered();
    expect(lines).toEqual([]);
    log.failure('listing', { address: A, cause: 'ETIMEDOUT' });
    expect(log.down).toBe(true);
    t = 10;
    log.recovered();
    log.failure('listing', { address: A, cause: 'ECONNRESET' });
    expect(lines.map((l) => l['cause'] ?? 'back')).toEqual(['ETIMEDOUT', 'back', 'ECONNRESET']);
  });
});
