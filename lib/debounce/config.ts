// The three debounce numbers. They come from configuration files and environment
// variables, so they are checked here once and every error names the key and the value.
import { z } from 'zod';
import { parseOrThrow } from '../model/validation.ts';

export interface DebounceConfig {
  /** push once no new event has come for this long */
  quietMs: number;
  /** push at the latest this long after the first event of a cycle */
  maxDelayMs: number;
  /** push at once when a cycle holds this many events */
  maxEvents: number;
}

export const DEFAULT_DEBOUNCE_CONFIG: Readonly<DebounceConfig> = Object.freeze({
  quietMs: 1000,
  maxDelayMs: 10_000,
  maxEvents: 1000,
});

const positiveInt = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

const DebounceConfigSchema = z
  .object({ quietMs: positiveInt, maxDelayMs: positiveInt, maxEvents: positiveInt })
  .superRefine((c, ctx) => {
    if (c.quietMs > c.maxDelayMs) {
      ctx.addIssue({ code: 'custom', path: ['quietMs'], message: `must not exceed maxDelayMs (${c.maxDelayMs})` });
    }
  });

/** Fill defaults and validate; throws a ValidationError naming e.g. `debounce.quietMs`. */
export function resolveDebounceConfig(input: Partial<DebounceConfig> = {}, base = 'debounce'): DebounceConfig {
  return parseOrThrow(DebounceConfigSchema, { ...DEFAULT_DEBOUNCE_CONFIG, ...input }, base);
}
