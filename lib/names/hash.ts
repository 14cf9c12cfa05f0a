// Short, stable content hashes. sha256 truncated: collisions across one deployment's
// objects are negligible at 64 bits, and the one-shot `crypto.hash` avoids allocating a
// Hash object per call on the render hot path.
import { hash } from 'node:crypto';

/** 16 hex characters (64 bits) of sha256. */
export function shortHash(text: string): string {
  return hash('sha256', text, 'hex').slice(0, 16);
}

/** 8 hex characters: enough to keep sanitised names apart, short enough for a 63-char label. */
export function nameSuffixHash(text: string): string {
  return hash('sha256', text, 'hex').slice(0, 8);
}

