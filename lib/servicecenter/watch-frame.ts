// One data frame of the registry's watch socket, decoded. Pure: a frame that is not an
// event is reported as what it is (the caller counts it), never thrown, because one bad
// frame from the server must not take the socket, or the process, down.
import { WatchEventSchema, type WatchEvent } from '../model/registry.ts';
import { toValidationError } from '../model/validation.ts';

/** What the server sends, as text, to a consumer it does not know, before it closes the socket. */
export const CONSUMER_GONE_TEXT = 'service does not exist';

export type DecodedFrame =
  | { kind: 'event'; event: WatchEvent }
  | { kind: 'empty' }
  | { kind: 'consumer-gone' }
  | { kind: 'malformed'; reason: string };

/** A frame's payload as ws hands it over. */
export type FramePayload = Buffer | ArrayBuffer | Buffer[] | string;

function textOf(data: FramePayload): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

export function decodeFrame(data: FramePayload, isBinary: boolean): DecodedFrame {
  // the protocol is text frames only; a binary frame cannot be one of its events
  if (isBinary) return { kind: 'malformed', reason: 'binary frame' };
  const text = textOf(data);
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'empty' };
  if (trimmed.toLowerCase() === CONSUMER_GONE_TEXT) return { kind: 'consumer-gone' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'malformed', reason: `not JSON: ${JSON.stringify(text.slice(0, 80))}` };
  }
  const parsed = WatchEventSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'malformed', reason: `not an event: ${toValidationError(parsed.error, raw, 'event').message}` };
  return { kind: 'event', event: parsed.data };
}
