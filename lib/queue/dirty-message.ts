// The one message that travels on the work queue: "these services may have changed".
// It carries keys only, never registry data: the push step reads the registry itself, so
// a stale, duplicated or reordered message cannot make the cluster wrong. Bodies are
// JSON; the receiving side validates them here and names the bad field, so the push
// function can report the message as a batch item failure (→ DLQ) instead of dropping it.
import { z } from 'zod';
import { ValidationError, describeValue, parseOrThrow } from '../model/validation.ts';

export const DIRTY_REASONS = ['watch', 'sync', 'removed', 'tick', 'resync'] as const;
export type DirtyReason = (typeof DIRTY_REASONS)[number];

export interface DirtyMessage {
  v: 1;
  /** dirty service keys; empty only for a `tick` (a debounce re-trigger) */
  keys: string[];
  reason: DirtyReason;
  /** ms epoch of the oldest event behind this message */
  at: number;
  correlationId?: string;
}

/** SQS's classic limit for one message and for one batch request (bytes of UTF-8). */
export const SQS_MAX_MESSAGE_BYTES = 262_144;

const MAX_KEY_LENGTH = 1024;

export const DirtyMessageSchema = z
  .object({
    v: z.literal(1),
    keys: z.array(z.string().min(1).max(MAX_KEY_LENGTH)),
    reason: z.enum(DIRTY_REASONS),
    at: z.number().int().nonnegative(),
    correlationId: z.string().min(1).max(256).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.keys.length === 0 && m.reason !== 'tick') {
      ctx.addIssue({ code: 'custom', path: ['keys'], message: `must not be empty for reason "${m.reason}"` });
    }
  });

/** Validate a message object; throws a ValidationError naming e.g. `message.keys[3]`. */
export function validateDirtyMessage(input: unknown, base = 'message'): DirtyMessage {
  const m = parseOrThrow(DirtyMessageSchema, input, base);
  const out: DirtyMessage = { v: 1, keys: m.keys, reason: m.reason, at: m.at };
  if (m.correlationId !== undefined) out.correlationId = m.correlationId;
  return out;
}

/** Parse a queue message body. */
export function parseDirtyMessage(body: string): DirtyMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`message: body is not JSON: ${reason} (got ${describeValue(body)})`, 'message', body);
  }
  return validateDirtyMessage(json);
}

export function encodeDirtyMessage(message: DirtyMessage): string {
  return JSON.stringify(message);
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Encode messages as bodies of at most `maxBytes` each, splitting a long key list across
 * several messages (same reason, time and correlation id). Keys keep their order.
 */
export function encodeDirtyMessages(messages: readonly DirtyMessage[], maxBytes = SQS_MAX_MESSAGE_BYTES): string[] {
  const bodies: string[] = [];
  for (const raw of messages) {
    const message = validateDirtyMessage(raw);
    const whole = encodeDirtyMessage(message);
    if (byteLength(whole) <= maxBytes) {
      bodies.push(whole);
      continue;
    }
    // Size of the envelope alone, then each key adds its JSON string and a comma.
    const envelope = byteLength(encodeDirtyMessage({ ...message, keys: [] }));
    let chunk: string[] = [];
    let size = envelope;
    for (const key of message.keys) {
      const add = byteLength(JSON.stringify(key)) + (chunk.length > 0 ? 1 : 0);
      if (envelope + add > maxBytes) {
        throw new ValidationError(`message.keys: key does not fit in a ${maxBytes}-byte message (got ${describeValue(key)})`, 'message.keys', key);
      }
      if (size + add > maxBytes) {
        bodies.push(encodeDirtyMessage({ ...message, keys: chunk }));
        chunk = [];
        size = envelope;
      }
      size += byteLength(JSON.stringify(key)) + (chunk.length > 0 ? 1 : 0);
      chunk.push(key);
    }
    if (chunk.length > 0) bodies.push(encodeDirtyMessage({ ...message, keys: chunk }));
  }
  return bodies;
}
