// Durations as java-chassis reads them (AbstractPolicy.parseToDuration, governance.md §2):
// a bare integer of up to 10 digits is milliseconds; anything else is ISO-8601 with `PT`
// put in front, so `10s`, `1m`, `1h30m`, `0.5s` (Java's Duration.parse is case-insensitive
// and takes a sign per part). YAML numbers reach Java as their text, so they read alike.

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

const BARE_INTEGER = /^-?[0-9]{1,10}$/;
const ISO_TIME_PART = /^(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?$/i;

/** Milliseconds of a governance duration. An empty value means "the default" to java-chassis; the schema handles that. */
export function parseGovernanceDuration(raw: string | number): DurationResult {
  const text = typeof raw === 'number' ? String(raw) : raw.trim();
  if (BARE_INTEGER.test(text)) {
    const ms = Number(text);
    if (ms < 0) return { ok: false, message: 'must not be less than 0' };
    return { ok: true, ms };
  }
  const match = ISO_TIME_PART.exec(text);
  if (match === null || text === '') {
    return { ok: false, message: 'expected milliseconds (e.g. 500) or an ISO-8601 duration without PT (e.g. 10s, 1m, 1h30m)' };
  }
  const [, hours, minutes, seconds, fraction] = match;
  const secondsValue = Number(seconds ?? '0');
  // Java applies the seconds' sign to the fraction too (-1.5S is -1.5 s).
  const fractionMs = fraction === undefined || fraction === '' ? 0 : (Number(`0.${fraction}`) * 1000 * (seconds?.startsWith('-') === true ? -1 : 1));
  const ms = Number(hours ?? '0') * 3_600_000 + Number(minutes ?? '0') * 60_000 + secondsValue * 1000 + fractionMs;
  if (!Number.isSafeInteger(Math.round(ms))) return { ok: false, message: 'is too long' };
  if (ms < 0) return { ok: false, message: 'must not be negative' };
  return { ok: true, ms };
}

/**
 * circuitBreaker `slidingWindowSize`: a count (COUNT_BASED) or seconds (TIME_BASED); a
 * bare integer is taken as is, a duration string becomes whole seconds.
 */
export function parseWindowSize(raw: string | number): { ok: true; value: number } | { ok: false; message: string } {
  const text = typeof raw === 'number' ? String(raw) : raw.trim();
  if (BARE_INTEGER.test(text)) {
    const value = Number(text);
    return value < 0 ? { ok: false, message: 'must not be less than 0' } : { ok: true, value };
  }
  const parsed = parseGovernanceDuration(text);
  if (!parsed.ok) return { ok: false, message: `expected a count, seconds or a duration (e.g. 10s): ${parsed.message}` };
  return { ok: true, value: Math.floor(parsed.ms / 1000) };
}

const UNITS: readonly [number, string][] = [
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1000, 's'],
];

/**
 * An Istio CRD duration (`1h`, `90s`, `250ms`): the largest unit that divides it. Proxy
 * timers work in milliseconds, so a sub-millisecond remainder is rounded away.
 */
export function toIstioDuration(ms: number): string {
  const whole = Math.round(ms);
  if (whole === 0) return '0s';
  for (const [size, unit] of UNITS) if (whole % size === 0) return `${whole / size}${unit}`;
  return `${whole}ms`;
}

/** The protobuf JSON form (`60s`, `0.05s`) that Envoy's own config in an EnvoyFilter needs. */
export function toProtoDuration(ms: number): string {
  return `${Math.round(ms) / 1000}s`;
}
