import { describe, expect, it } from '@jest/globals';
import { parseGovernanceDuration, parseWindowSize, toIstioDuration, toProtoDuration } from './duration.ts';

const ms = (raw: string | number): number | string => {
  const r = parseGovernanceDuration(raw);
  return r.ok ? r.ms : `error: ${r.message}`;
};

describe('governance durations as java-chassis reads them', () => {
  it('reads a bare integer of up to 10 digits as milliseconds, text or YAML number alike', () => {
    expect(ms('0')).toBe(0);
    expect(ms('1500')).toBe(1500);
    expect(ms(250)).toBe(250);
    expect(ms(' 9999999999 ')).toBe(9_999_999_999);
  });

  it('reads anything else as ISO-8601 with PT in front, any letter case', () => {
    expect(ms('10s')).toBe(10_000);
    expect(ms('1m')).toBe(60_000);
    expect(ms('2H')).toBe(7_200_000);
    expect(ms('1h30m')).toBe(5_400_000);
    expect(ms('1m30s')).toBe(90_000);
    expect(ms('0.5s')).toBe(500);
    expect(ms('1,25S')).toBe(1250);
    expect(ms('1m-30s')).toBe(30_000);
  });

  it('refuses what Java refuses', () => {
    expect(ms('-5')).toBe('error: must not be less than 0');
    expect(ms('-10s')).toBe('error: must not be negative');
    expect(ms('12345678901')).toMatch(/^error: expected milliseconds/);
    expect(ms('PT10S')).toMatch(/^error: expected/);
    expect(ms('10ms')).toMatch(/^error: expected/);
    expect(ms('1d')).toMatch(/^error: expected/);
    expect(ms('1.5')).toMatch(/^error: expected/);
    expect(ms(1.5)).toMatch(/^error: expected/);
  });

  it('reads slidingWindowSize as a count or seconds, a duration as whole seconds', () => {
    expect(parseWindowSize('100')).toEqual({ ok: true, value: 100 });
    expect(parseWindowSize(20)).toEqual({ ok: true, value: 20 });
    expect(parseWindowSize('10s')).toEqual({ ok: true, value: 10 });
    expect(parseWindowSize('1m')).toEqual({ ok: true, value: 60 });
    expect(parseWindowSize('1500ms').ok).toBe(false);
  });

  it('prints Istio durations in the largest unit that divides them, to the millisecond', () => {
    expect(toIstioDuration(3_600_000)).toBe('1h');
    expect(toIstioDuration(120_000)).toBe('2m');
    expect(toIstioDuration(90_000)).toBe('90s');
    expect(toIstioDuration(1500)).toBe('1500ms');
    expect(toIstioDuration(1)).toBe('1ms');
    expect(toIstioDuration(0.4)).toBe('0s');
  });

  it('prints Envoy config durations in protobuf JSON (seconds)', () => {
    expect(toProtoDuration(60_000)).toBe('60s');
    expect(toProtoDuration(50)).toBe('0.05s');
    expect(toProtoDuration(1234)).toBe('1.234s');
  });
});
