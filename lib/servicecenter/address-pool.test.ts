import { describe, it, expect } from '@jest/globals';
import { AddressPool, normaliseAddress } from './address-pool.ts';

describe('AddressPool', () => {
  it('normalises addresses and refuses what is not http(s)', () => {
    expect(normaliseAddress('http://10.0.0.1:30100/')).toBe('http://10.0.0.1:30100');
    expect(normaliseAddress('https://sc.example:443/base/')).toBe('https://sc.example/base');
    expect(() => normaliseAddress('ftp://x')).toThrow('expected http:// or https:// (got "ftp://x")');
    expect(() => normaliseAddress('not a url')).toThrow('not a URL');
    expect(() => new AddressPool([])).toThrow('at least one');
  });

  it('fails over to the next address and sticks to the one that answered', () => {
    const pool = new AddressPool(['http://a:1', 'http://b:1', 'http://c:1'], { failureThreshold: 1, coolDownMs: 60_000 });
    expect(pool.acquire()).toBe('http://a:1');
    pool.failure('http://a:1');
    expect(pool.acquire()).toBe('http://b:1');
    pool.success('http://b:1');
    expect(pool.current()).toBe('http://b:1');
    expect(pool.acquire(new Set(['http://b:1']))).toBe('http://c:1');
    expect(pool.states().map((s) => s.state)).toEqual(['open', 'closed', 'closed']);
  });

  it('has nothing to offer when every breaker is open and no probe is due', () => {
    const pool = new AddressPool(['http://a:1', 'http://b:1'], { failureThreshold: 1, coolDownMs: 60_000, probeIntervalMs: 60_000 });
    pool.failure('http://a:1');
    pool.failure('http://b:1');
    expect(pool.acquire()).toBeUndefined();
    expect(pool.hasAvailable()).toBe(false);
  });

  it('probes an open address only when no address takes calls', () => {
    let t = 0;
    const clock = { now: (): number => t };
    const single = new AddressPool(['http://a:1'], { failureThreshold: 1, coolDownMs: 10_000, probeIntervalMs: 500, clock });
    single.failure('http://a:1');
    expect(single.acquire()).toBeUndefined();
    t = 500;
    expect(single.acquire()).toBe('http://a:1');
    // the probe slot is taken until its outcome is known
    expect(single.acquire()).toBeUndefined();
    single.success('http://a:1');
    expect(single.states()[0]?.state).toBe('closed');

    const pair = new AddressPool(['http://a:1', 'http://b:1'], { failureThreshold: 1, coolDownMs: 10_000, probeIntervalMs: 500, clock });
    pair.failure('http://a:1');
    t += 1_000;
    // b answers, so a keeps its whole cool-down
    expect(pair.acquire()).toBe('http://b:1');
    expect(pair.acquire(new Set(['http://b:1']))).toBeUndefined();
    pair.failure('http://b:1');
    t += 500;
    expect(pair.acquire()).toBe('http://a:1');
  });
});
