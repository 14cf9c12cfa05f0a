import { describe, it, expect } from '@jest/globals';
import { CircuitBreaker } from './circuit-breaker.ts';

describe('CircuitBreaker', () => {
  function make(): { breaker: CircuitBreaker; advance: (ms: number) => void } {
    let t = 0;
    return { breaker: new CircuitBreaker({ failureThreshold: 3, coolDownMs: 1_000, clock: { now: () => t } }), advance: (ms) => (t += ms) };
  }

  it('opens after the threshold of consecutive failures', () => {
    const { breaker } = make();
    breaker.onFailure();
    breaker.onFailure();
    expect(breaker.state).toBe('closed');
    breaker.onSuccess();
    breaker.onFailure();
    breaker.onFailure();
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('lets one trial through after the cool-down and closes on its success', () => {
    const { breaker, advance } = make();
    for (let i = 0; i < 3; i++) breaker.onFailure();
    advance(999);
    expect(breaker.isAvailable()).toBe(false);
    advance(1);
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
  });

  it('re-opens for a full cool-down when the trial fails', () => {
    const { breaker, advance } = make();
    for (let i = 0; i < 3; i++) breaker.onFailure();
    advance(1_000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    advance(500);
    expect(breaker.tryAcquire()).toBe(false);
    advance(500);
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('can be probed while open, once per probe interval after its last failure', () => {
    let t = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 10_000, probeIntervalMs: 500, clock: { now: () => t } });
    expect(breaker.tryProbe()).toBe(false);
    for (let i = 0; i < 3; i++) breaker.onFailure();
    t = 499;
    expect(breaker.tryProbe()).toBe(false);
    t = 500;
    expect(breaker.tryProbe()).toBe(true);
    // one probe at a time
    expect(breaker.tryProbe()).toBe(false);
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    t = 999;
    expect(breaker.tryProbe()).toBe(false);
    t = 1_000;
    expect(breaker.tryProbe()).toBe(true);
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
  });

  it('caps the probe interval at the cool-down', () => {
    let t = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 100, probeIntervalMs: 5_000, clock: { now: () => t } });
    breaker.onFailure();
    t = 100;
    expect(breaker.tryProbe()).toBe(true);
  });

  it('refuses nonsense settings', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, coolDownMs: 1 })).toThrow('failureThreshold');
    expect(() => new CircuitBreaker({ failureThreshold: 1, coolDownMs: -1 })).toThrow('coolDownMs');
    expect(() => new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1, probeIntervalMs: -1 })).toThrow('probeIntervalMs');
  });
});
