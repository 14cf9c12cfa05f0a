// The content hash stored on every object (annotation) and in state: it lets a push skip
// objects that did not change and lets the drift audit spot hand edits from metadata only.
import { shortHash } from '../names/hash.ts';
import { CONTENT_HASH_ANNOTATION } from '../model/ownership.ts';
import type { IstioObject } from '../model/istio.ts';

/**
 * The one definition of the hashed text, from the JSON of each part. Exported so the
 * render hot path can assemble the JSON of shared parts (labels, port maps) once per
 * service instead of once per object; it must then equal what `contentHashOf` computes.
 */
export function contentHashFromJson(kind: string, name: string, labelsJson: string, annotationsJson: string, specJson: string): string {
  return shortHash(`${kind}\n${name}\n${labelsJson}\n${annotationsJson}\n${specJson}`);
}

/** The text `contentHashOf` hashes; the render bench times sha256 of it alone. */
export function contentHashText(object: IstioObject): string {
  const { [CONTENT_HASH_ANNOTATION]: _ignored, ...annotations } = object.metadata.annotations;
  return `${object.kind}\n${object.metadata.name}\n${JSON.stringify(object.metadata.labels)}\n${JSON.stringify(annotations)}\n${JSON.stringify(object.spec)}`;
}

/**
 * Hash of what sc2mesh decides about an object: kind, name, labels, annotations (less the
 * hash itself) and spec. Objects are built in a fixed key order, so JSON.stringify is
 * canonical. `labelsJson` lets a caller serialise a label map shared by many objects once.
 */
export function contentHashOf(object: IstioObject, labelsJson: string = JSON.stringify(object.metadata.labels)): string {
  let annotations = object.metadata.annotations;
  if (CONTENT_HASH_ANNOTATION in annotations) {
    const { [CONTENT_HASH_ANNOTATION]: _ignored, ...rest } = annotations;
    annotations = rest;
  }
  return contentHashFromJson(object.kind, object.metadata.name, labelsJson, JSON.stringify(annotations), JSON.stringify(object.spec));
}

/** Stamps the hash annotation in place and returns it. */
export function stampContentHash(object: IstioObject, labelsJson?: string): string {
  const hash = contentHashOf(object, labelsJson);
  object.metadata.annotations[CONTENT_HASH_ANNOTATION] = hash;
  return hash;
}
