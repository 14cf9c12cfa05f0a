// The content hash stored on every object (annotation) and in state: it lets a push skip
// objects that did not change and lets the drift audit spot hand edits from metadata only.
import { shortHash } from '../names/hash.ts';
import { CONTENT_HASH_ANNOTATION } from '../model/ownership.ts';
import type { IstioObject } from '../model/istio.ts';

/**
 * Hash of what sc2mesh decides about an object: its labels, annotations (less the hash
 * itself) and spec. Objects are built in a fixed key order, so JSON.stringify is canonical.
 */
export function contentHashOf(object: IstioObject): string {
  const { [CONTENT_HASH_ANNOTATION]: _ignored, ...annotations } = object.metadata.annotations;
  return shortHash(JSON.stringify([object.kind, object.metadata.name, object.metadata.labels, annotations, object.spec]));
}

/** Stamps the hash annotation in place and returns it. */
export function stampContentHash(object: IstioObject): string {
  const hash = contentHashOf(object);
  object.metadata.annotations[CONTENT_HASH_ANNOTATION] = hash;
  return hash;
}
