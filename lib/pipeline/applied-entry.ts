// What state remembers per applied object: its content hash and, from a real API server,
// the metadata.generation it had after our write. A hand edit of the spec bumps the
// generation without touching our hash annotation, so the pair is what reveals drift.
// Stored as one compact string per object ("hash" or "hash@generation").

export interface AppliedEntry {
  hash: string;
  generation?: number;
}

export function encodeApplied(hash: string, generation: number | undefined): string {
  return generation === undefined ? hash : `${hash}@${generation}`;
}

export function decodeApplied(value: string): AppliedEntry {
  const at = value.indexOf('@');
  if (at < 0) return { hash: value };
  return { hash: value.slice(0, at), generation: Number(value.slice(at + 1)) };
}

/** Only the hashes, as planObjects compares them. */
export function hashesOf(objects: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in objects) out[key] = decodeApplied(objects[key] as string).hash;
  return out;
}
