import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { ValidationError } from '../model/validation.ts';
import { byteLength, encodeDirtyMessages, parseDirtyMessage, type DirtyMessage } from './dirty-message.ts';
import { delaySecondsUntil, validateDelaySeconds } from './work-queue.ts';

const base: DirtyMessage = { v: 1, keys: ['a/b/c'], reason: 'watch', at: 1000 };

describe('parseDirtyMessage', () => {
  it('accepts a valid body and keeps the correlation id', () => {
    expect(parseDirtyMessage(JSON.stringify({ ...base, correlationId: 'c-1' }))).toEqual({ ...base, correlationId: 'c-1' });
  });

  it('accepts an empty key list only for a tick', () => {
    expect(parseDirtyMessage(JSON.stringify({ ...base, keys: [], reason: 'tick' })).keys).toEqual([]);
    expect(() => parseDirtyMessage(JSON.stringify({ ...base, keys: [] }))).toThrow(/message\.keys: must not be empty for reason "watch"/);
  });

  it.each([
    ['not json', /message: body is not JSON/],
    [JSON.stringify({ ...base, v: 2 }), /message\.v.*got 2/],
    [JSON.stringify({ ...base, reason: 'gossip' }), /message\.reason.*got "gossip"/],
    [JSON.stringify({ ...base, keys: ['ok', 5] }), /message\.keys\[1\].*got 5/],
    [JSON.stringify({ ...base, at: -1 }), /message\.at.*got -1/],
    [JSON.stringify([1]), /message/],
  ])('rejects %s naming the field', (body, message) => {
    let error: unknown;
    try {
      parseDirtyMessage(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('encodeDirtyMessages', () => {
  it('keeps a small message whole', () => {
    expect(encodeDirtyMessages([base])).toEqual([JSON.stringify(base)]);
  });

  it('splits keys across bodies that each fit, keeping order and fields', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 300, max: 2000 }),
        (keys, maxBytes) => {
          const bodies = encodeDirtyMessages([{ ...base, keys, correlationId: 'x' }], maxBytes);
          const parsed = bodies.map(parseDirtyMessage);
          for (const b of bodies) expect(byteLength(b)).toBeLessThanOrEqual(maxBytes);
          expect(parsed.flatMap((m) => m.keys)).toEqual(keys);
          for (const m of parsed) expect(m).toMatchObject({ reason: 'watch', at: 1000, correlationId: 'x' });
          expect(parsed.every((m) => m.keys.length > 0)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a key that cannot fit in any message', () => {
    expect(() => encodeDirtyMessages([{ ...base, keys: ['k'.repeat(1000)] }], 200)).toThrow(/message\.keys: key does not fit in a 200-byte message/);
  });
});

describe('delay helpers', () => {
  it('rounds a re-trigger up to whole seconds and caps it at 900', () => {
    expect(delaySecondsUntil(1000, 1000)).toBe(0);
    expect(delaySecondsUntil(1001, 1000)).toBe(1);
    expect(delaySecondsUntil(10_000, 1000)).toBe(9);
    expect(delaySecondsUntil(10_000_000, 0)).toBe(900);
  });

  it('validates DelaySeconds', () => {
    expect(validateDelaySeconds(undefined)).toBe(0);
    expect(validateDelaySeconds(900)).toBe(900);
    expect(() => validateDelaySeconds(901)).toThrow(/delaySeconds: must be an integer from 0 to 900 \(got 901\)/);
    expect(() => validateDelaySeconds(-1)).toThrow(ValidationError);
  });
});
