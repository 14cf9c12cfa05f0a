import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import type { Clock } from '../time/clock.ts';
import { retryDelay, classify, DEFAULT_RETRY_POLICY, parseRetryAfter, withRetry } from './retry.ts';

function apiError(code: number, status: Record<string, unknown>, headers: Record<string, string> = {}): ApiException<string> {
  return new ApiException(code, 'Unknown API Status Code!', JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, ...status }), headers);
}

const ssaConflict = () =>
  apiError(409, {
    reason: 'Conflict',
    message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using networking.istio.io/v1: .spec.location',
    details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit"', field: '.spec.location' }] },
  });
const staleConflict = () => apiError(409, { reason: 'Conflict', message: 'Operation cannot be fulfilled on serviceentries.networking.istio.io "a": the object has been modified' });

function recordingClock(nowMs = Date.parse('2025-06-01T12:00:00Z')): Pick<Clock, 'now' | 'sleep'> & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, now: () => nowMs, sleep: async (ms) => void sleeps.push(ms) };
}

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('classify', () => {
  const now = 0;
  it('retries throttling, server errors, timeouts and broken connections', () => {
    for (const code of [429, 500, 502, 503, 504]) expect(classify(apiError(code, {}), { retryConflicts: true, nowMs: now }).retry).toBe(true);
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(classify(timeout, { retryConflicts: true, nowMs: now })).toMatchObject({ retry: true, reason: 'timeout' });
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    expect(classify(reset, { retryConflicts: true, nowMs: now })).toMatchObject({ retry: true, reason: 'network' });
  });
  it('does not retry client errors, field-manager conflicts or oversized objects', () => {
    for (const code of [400, 401, 403, 404, 422]) expect(classify(apiError(code, {}), { retryConflicts: true, nowMs: now }).retry).toBe(false);
    expect(classify(ssaConflict(), { retryConflicts: true, nowMs: now })).toMatchObject({ retry: false, reason: 'field-manager-conflict' });
    expect(classify(apiError(409, { reason: 'AlreadyExists' }), { retryConflicts: true, nowMs: now }).retry).toBe(false);
    expect(classify(apiError(500, { message: 'etcdserver: request is too large' }), { retryConflicts: true, nowMs: now }).retry).toBe(false);
    expect(classify(new Error('boom'), { retryConflicts: true, nowMs: now }).retry).toBe(false);
  });
  it('retries an optimistic-lock conflict only when the caller can resend as is', () => {
    expect(classify(staleConflict(), { retryConflicts: true, nowMs: now })).toMatchObject({ retry: true, reason: 'conflict' });
    expect(classify(staleConflict(), { retryConflicts: false, nowMs: now }).retry).toBe(false);
  });
  it('takes Retry-After from the header, else from details.retryAfterSeconds', () => {
    expect(classify(apiError(429, {}, { 'retry-after': '2' }), { retryConflicts: true, nowMs: now }).retryAfterMs).toBe(2000);
    expect(classify(apiError(503, { details: { retryAfterSeconds: 4 } }), { retryConflicts: true, nowMs: now }).retryAfterMs).toBe(4000);
  });
});

describe('retryDelay', () => {
  it('is full jitter under a doubling, capped ceiling', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(retryDelay(1, policy, () => 0.999)).toBe(99);
    expect(retryDelay(3, policy, () => 0.5)).toBe(200);
    expect(retryDelay(10, policy, () => 0.999)).toBe(999);
    expect(retryDelay(4, policy, () => 0)).toBe(0);
  });
});

describe('withRetry', () => {
  it('waits at least Retry-After, then succeeds', async () => {
    const clock = recordingClock();
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls === 1) throw apiError(429, { reason: 'TooManyRequests' }, { 'retry-after': '3' });
        if (calls === 2) throw apiError(503, {}, { 'retry-after': 'Sun, 01 Jun 2025 12:00:05 GMT' });
        return 'ok';
      },
      { clock, random: () => 0.5, policy: { baseDelayMs: 100, maxDelayMs: 1000 } },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(clock.sleeps).toEqual([3000, 5000]);
  });

  it('caps an absurd Retry-After', async () => {
    const clock = recordingClock();
    let calls = 0;
    await withRetry(
      async () => {
        if (calls++ === 0) throw apiError(429, {}, { 'retry-after': '86400' });
      },
      { clock, random: () => 0, policy: { maxRetryAfterMs: 30_000 } },
    );
    expect(clock.sleeps).toEqual([30_000]);
  });

  it('uses jittered backoff without Retry-After and reports each retry', async () => {
    const clock = recordingClock();
    const events: string[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        if (calls++ < 3) throw apiError(500, {});
      },
      { clock, random: () => 0.5, policy: { baseDelayMs: 100, maxDelayMs: 10_000 }, onRetry: (e) => events.push(`${e.attempt}:${e.reason}:${e.delayMs}`) },
    );
    expect(clock.sleeps).toEqual([50, 100, 200]);
    expect(events).toEqual(['1:500:50', '2:500:100', '3:500:200']);
  });

  it('gives up after maxAttempts with the last error as is', async () => {
    const clock = recordingClock();
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls++;
        throw apiError(503, { message: `attempt ${calls}` });
      },
      { clock, random: () => 0, policy: { maxAttempts: 4 } },
    );
    await expect(failing).rejects.toMatchObject({ code: 503 });
    expect(calls).toBe(4);
    expect(clock.sleeps).toHaveLength(3);
  });

  it('never retries a server-side apply field-manager conflict', async () => {
    const clock = recordingClock();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw ssaConflict();
        },
        { clock },
      ),
    ).rejects.toMatchObject({ code: 409 });
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });
});
