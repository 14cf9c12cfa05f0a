// What the server does with a request on a resource, independent of HTTP: the create,
// get, list, update, patch (server-side apply and merge patch) and delete semantics of a
// namespaced custom resource, with resourceVersion, generation, managedFields, pruning,
// validation (422 with causes) and dry runs.
import { randomBytes, randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { IstioValidator } from '../../../lib/istio-validator/index.ts';
import { pruneResource } from '../../../lib/istio-validator/pruning.ts';
import { clone, deepEqual, FieldSetError, isObject, type Json, type JsonObject } from './field-sets.ts';
import { matchesFields, matchesSelector, parseFieldSelector, parseLabelSelector, SelectorParseError } from './label-selector.ts';
import { recordUpdate, rfc3339, sameOwnership, serverSideApply } from './managed-fields.ts';
import type { ResourceType } from './resources.ts';
import { ApiError, statusErrors, successStatus } from './status.ts';
import type { ObjectStore } from './store.ts';

export const APPLY_PATCH = 'application/apply-patch+yaml';
export const MERGE_PATCH = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const STRATEGIC_PATCH = 'application/strategic-merge-patch+json';

/** etcd's default request limit, which caps one object. */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/** ObjectMeta fields a client may send; the server owns the rest. */
const CLIENT_META_FIELDS = ['name', 'generateName', 'namespace', 'labels', 'annotations', 'finalizers', 'ownerReferences', 'resourceVersion', 'uid'];
const OBJECT_META_FIELDS = new Set([
  ...CLIENT_META_FIELDS,
  'selfLink',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
]);

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface WriteOptions {
  dryRun: boolean;
  fieldValidation: FieldValidation;
  fieldManager: string | undefined;
  /** the manager name derived from the User-Agent, used when fieldManager is absent */
  defaultManager: string;
  force: boolean | undefined;
}

export interface Reply {
  status: number;
  body: unknown;
  warnings?: string[];
}

export type MetadataView = 'full' | 'metadata';

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: string;
  continue?: string;
  resourceVersion?: string;
  view: MetadataView;
}

interface ContinueToken {
  v: 'meta.k8s.io/v1';
  rv: number;
  start: string;
}

function encodeContinue(rv: string, lastKey: string): string {
  const token: ContinueToken = { v: 'meta.k8s.io/v1', rv: Number(rv), start: `${lastKey}\u0000` };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(value: string): ContinueToken {
  try {
    const token = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (token.v !== 'meta.k8s.io/v1' || typeof token.rv !== 'number' || typeof token.start !== 'string') throw new Error('bad token');
    return token as ContinueToken;
  } catch {
    throw statusErrors.badRequest(`continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`);
  }
}

function metaOf(obj: JsonObject): JsonObject {
  const meta = obj['metadata'];
  return isObject(meta) ? meta : {};
}

function labelsOf(obj: JsonObject): Record<string, string> {
  const labels = metaOf(obj)['labels'];
  return isObject(labels) ? (labels as Record<string, string>) : {};
}

function partialMetadata(obj: JsonObject): JsonObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: clone(metaOf(obj)) };
}

/** Everything but metadata and status: a change here bumps metadata.generation. */
function specChanged(a: JsonObject, b: JsonObject): boolean {
  const strip = (o: JsonObject) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'metadata' && k !== 'status'));
  return !deepEqual(strip(a), strip(b));
}

function withoutVolatile(obj: JsonObject): JsonObject {
  const copy = { ...obj };
  const meta = { ...metaOf(obj) };
  delete meta['managedFields'];
  delete meta['resourceVersion'];
  copy['metadata'] = meta;
  return copy;
}

export function parseBody(body: Buffer, contentType: string): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw statusErrors.badRequest('the request body is empty');
  try {
    return JSON.parse(text) as unknown;
  } catch (jsonError) {
    if (!contentType.includes('yaml')) throw statusErrors.badRequest(`couldn't get version/kind; json parse error: ${(jsonError as Error).message}`);
  }
  try {
    return parseYaml(text) as unknown;
  } catch (yamlError) {
    throw statusErrors.badRequest(`error decoding YAML: ${(yamlError as Error).message}`);
  }
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class ResourceHandlers {
  readonly #store: ObjectStore;
  readonly #validator: IstioValidator;
  readonly #now: () => Date;

  constructor(store: ObjectStore, validator: IstioValidator, now: () => Date) {
    this.#store = store;
    this.#validator = validator;
    this.#now = now;
  }

  list(rt: ResourceType, namespace: string | undefined, q: ListQuery): Reply {
    let labelReqs;
    let fieldReqs;
    try {
      labelReqs = q.labelSelector === undefined ? [] : parseLabelSelector(q.labelSelector);
      fieldReqs = q.fieldSelector === undefined ? [] : parseFieldSelector(q.fieldSelector);
    } catch (error) {
      if (error instanceof SelectorParseError) throw statusErrors.badRequest(error.message);
      throw error;
    }
    let limit = 0;
    if (q.limit !== undefined && q.limit !== '') {
      limit = Number(q.limit);
      if (!Number.isInteger(limit) || limit < 0) throw statusErrors.badRequest(`limit: Invalid value: ${JSON.stringify(q.limit)}: must be a non-negative integer`);
    }
    let start = '';
    let listRv = this.#store.revision;
    if (q.continue !== undefined && q.continue !== '') {
      if (q.resourceVersion !== undefined && q.resourceVersion !== '' && q.resourceVersion !== '0') {
        throw statusErrors.badRequest('specifying resource version is not allowed when using continue');
      }
      const token = decodeContinue(q.continue);
      start = token.start;
      listRv = String(token.rv);
    }
    const matched = this.#store.list(
      rt.plural,
      namespace,
      (key, obj) =>
        (start === '' || key > start) &&
        (labelReqs.length === 0 || matchesSelector(labelReqs, labelsOf(obj))) &&
        (fieldReqs.length === 0 || matchesFields(fieldReqs, { name: String(metaOf(obj)['name']), namespace: String(metaOf(obj)['namespace']) })),
    );
    const page = limit > 0 ? matched.slice(0, limit) : matched;
    const metadata: JsonObject = { resourceVersion: listRv };
    if (limit > 0 && matched.length > limit) {
      const last = page.at(-1);
      if (last !== undefined) metadata['continue'] = encodeContinue(listRv, last.key);
      // A real server can only count what is left when nothing filters the list.
      if (labelReqs.length === 0 && fieldReqs.length === 0) metadata['remainingItemCount'] = matched.length - limit;
    }
    if (q.view === 'metadata') {
      return { status: 200, body: { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata, items: page.map(({ obj }) => partialMetadata(obj)) } };
    }
    return { status: 200, body: { apiVersion: rt.groupVersion, kind: rt.listKind, metadata, items: page.map(({ obj }) => clone(obj)) } };
  }

  get(rt: ResourceType, namespace: string, name: string, view: MetadataView): Reply {
    const obj = this.#store.get(rt.plural, namespace, name);
    if (obj === undefined) throw statusErrors.notFound(rt, name);
    return { status: 200, body: view === 'metadata' ? partialMetadata(obj) : clone(obj) };
  }

  /** Type, namespace and name checks every write shares; returns the body as an object. */
  #checkIncoming(rt: ResourceType, namespace: string, urlName: string | undefined, body: unknown): JsonObject {
    if (!isObject(body)) throw statusErrors.badRequest('the request body must be a JSON or YAML object');
    if (body['apiVersion'] !== rt.groupVersion) {
      throw statusErrors.badRequest(`the API version in the data (${String(body['apiVersion'] ?? '')}) does not match the expected API version (${rt.groupVersion})`);
    }
    if (body['kind'] !== rt.kind) throw statusErrors.badRequest(`the kind in the data (${String(body['kind'] ?? '')}) does not match the expected kind (${rt.kind})`);
    const meta = body['metadata'] ?? {};
    if (!isObject(meta)) throw statusErrors.badRequest('metadata must be an object');
    const ns = meta['namespace'];
    if (ns !== undefined && ns !== '' && ns !== namespace) throw statusErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    const name = meta['name'];
    if (urlName !== undefined && name !== undefined && name !== urlName) {
      throw statusErrors.badRequest(`the name of the object (${String(name)}) does not match the name on the URL (${urlName})`);
    }
    return body;
  }

  /** Structural pruning: fields the schema does not declare are dropped (and reported). */
  #prune(rt: ResourceType, obj: JsonObject): { pruned: JsonObject; unknown: string[] } {
    const { pruned, unknownFields } = pruneResource(obj, rt.schema);
    const out = pruned as JsonObject;
    const meta = metaOf(out);
    const cleanMeta: JsonObject = {};
    for (const [k, v] of Object.entries(meta)) {
      if (OBJECT_META_FIELDS.has(k)) cleanMeta[k] = v;
      else unknownFields.push(`metadata.${k}`);
    }
    return { pruned: { ...out, metadata: cleanMeta }, unknown: unknownFields };
  }

  #unknownFieldsOutcome(unknown: readonly string[], mode: FieldValidation, strictMessage: () => string): string[] {
    if (unknown.length === 0 || mode === 'Ignore') return [];
    if (mode === 'Strict') throw statusErrors.badRequest(strictMessage());
    return unknown.map((f) => `unknown field ${JSON.stringify(f)}`);
  }

  #validate(rt: ResourceType, obj: JsonObject, old: JsonObject | undefined): void {
    const name = String(metaOf(obj)['name'] ?? metaOf(obj)['generateName'] ?? '');
    const result = this.#validator.validate(obj, old === undefined ? {} : { oldObject: old });
    if (result.causes.length > 0) throw statusErrors.invalid(rt, name, result.causes);
    if (Buffer.byteLength(JSON.stringify(obj)) > MAX_OBJECT_BYTES) throw statusErrors.internal('etcdserver: request is too large');
  }

  #persist(rt: ResourceType, namespace: string, name: string, obj: JsonObject, dryRun: boolean): void {
    if (dryRun) return;
    metaOf(obj)['resourceVersion'] = this.#store.bump();
    this.#store.set(rt.plural, namespace, name, obj);
  }

  #newServerMeta(namespace: string, name: string): JsonObject {
    return { name, namespace, uid: randomUUID(), generation: 1, creationTimestamp: rfc3339(this.#now()) };
  }

  create(rt: ResourceType, namespace: string, body: unknown, opts: WriteOptions): Reply {
    const incoming = this.#checkIncoming(rt, namespace, undefined, body);
    const { pruned, unknown } = this.#prune(rt, incoming);
    const warnings = this.#unknownFieldsOutcome(unknown, opts.fieldValidation, () => `strict decoding error: ${unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`);
    const meta = metaOf(pruned);
    let name = typeof meta['name'] === 'string' ? meta['name'] : '';
    if (name === '' && typeof meta['generateName'] === 'string' && meta['generateName'] !== '') {
      name = `${meta['generateName']}${randomBytes(4).toString('hex').slice(0, 5)}`;
    }
    const obj: JsonObject = { ...pruned };
    delete obj['status'];
    const clientMeta = Object.fromEntries(Object.entries(meta).filter(([k]) => CLIENT_META_FIELDS.includes(k) && k !== 'resourceVersion' && k !== 'uid'));
    obj['metadata'] = { ...clientMeta, ...this.#newServerMeta(namespace, name) };
    if (name === '') delete metaOf(obj)['name'];
    this.#validate(rt, obj, undefined);
    if (this.#store.get(rt.plural, namespace, name) !== undefined) throw statusErrors.alreadyExists(rt, name);
    recordUpdate({ old: undefined, next: obj, manager: opts.fieldManager ?? opts.defaultManager, schema: rt.schema, apiVersion: rt.groupVersion, now: this.#now() });
    this.#persist(rt, namespace, name, obj, opts.dryRun);
    return { status: 201, body: clone(obj), warnings };
  }

  update(rt: ResourceType, namespace: string, name: string, body: unknown, opts: WriteOptions): Reply {
    const incoming = this.#checkIncoming(rt, namespace, name, body);
    const { pruned, unknown } = this.#prune(rt, incoming);
    const warnings = this.#unknownFieldsOutcome(unknown, opts.fieldValidation, () => `strict decoding error: ${unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`);
    const live = this.#store.get(rt.plural, namespace, name);
    if (live === undefined) throw statusErrors.notFound(rt, name);
    const rv = metaOf(pruned)['resourceVersion'];
    if (rv === undefined || rv === '') {
      throw statusErrors.invalid(rt, name, [{ field: 'metadata.resourceVersion', reason: 'FieldValueInvalid', message: 'metadata.resourceVersion: Invalid value: 0x0: must be specified for an update' }]);
    }
    if (rv !== metaOf(live)['resourceVersion']) throw statusErrors.conflict(rt, name);
    return this.#replace(rt, namespace, name, live, pruned, opts, warnings);
  }

  /** Stores `next` in place of `live` as an update by `opts`' manager (PUT and merge patch). */
  #replace(rt: ResourceType, namespace: string, name: string, live: JsonObject, next: JsonObject, opts: WriteOptions, warnings: string[]): Reply {
    const liveMeta = metaOf(live);
    const nextMeta = metaOf(next);
    // The status subresource owns status: writes to the main resource cannot change it.
    const obj: JsonObject = { ...next };
    delete obj['status'];
    if (live['status'] !== undefined) obj['status'] = clone(live['status'] as Json);
    const meta: JsonObject = {};
    for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences']) if (nextMeta[k] !== undefined) meta[k] = nextMeta[k] as Json;
    for (const k of ['name', 'namespace', 'uid', 'creationTimestamp', 'generation', 'resourceVersion', 'deletionTimestamp', 'managedFields']) {
      if (liveMeta[k] !== undefined) meta[k] = clone(liveMeta[k] as Json);
    }
    obj['metadata'] = meta;
    this.#validate(rt, obj, live);
    recordUpdate({ old: live, next: obj, manager: opts.fieldManager ?? opts.defaultManager, schema: rt.schema, apiVersion: rt.groupVersion, now: this.#now() });
    if (deepEqual(withoutVolatile(live), withoutVolatile(obj)) && sameOwnership(live, obj)) return { status: 200, body: clone(live), warnings };
    if (specChanged(live, obj)) meta['generation'] = Number(liveMeta['generation'] ?? 1) + 1;
    const finalizers = meta['finalizers'];
    if (meta['deletionTimestamp'] !== undefined && (!Array.isArray(finalizers) || finalizers.length === 0)) {
      if (!opts.dryRun) this.#store.delete(rt.plural, namespace, name);
      return { status: 200, body: clone(obj), warnings };
    }
    this.#persist(rt, namespace, name, obj, opts.dryRun);
    return { status: 200, body: clone(obj), warnings };
  }

  patch(rt: ResourceType, namespace: string, name: string, contentType: string, rawBody: Buffer, opts: WriteOptions): Reply {
    if (contentType === APPLY_PATCH || contentType === 'application/apply-patch+json') return this.#apply(rt, namespace, name, rawBody, opts);
    if (opts.force !== undefined) {
      throw statusErrors.invalid(rt, name, [{ field: 'force', reason: 'FieldValueForbidden', message: 'force: Forbidden: may not be specified for non-apply patch' }]);
    }
    if (contentType === STRATEGIC_PATCH || contentType === JSON_PATCH) throw statusErrors.unsupportedMediaType(contentType);
    if (contentType !== MERGE_PATCH) throw statusErrors.unsupportedMediaType(contentType);
    const patch = parseBody(rawBody, contentType);
    if (!isObject(patch)) throw statusErrors.badRequest('a merge patch must be a JSON object');
    const live = this.#store.get(rt.plural, namespace, name);
    if (live === undefined) throw statusErrors.notFound(rt, name);
    const patchRv = isObject(patch['metadata']) ? patch['metadata']['resourceVersion'] : undefined;
    if (patchRv !== undefined && patchRv !== null && patchRv !== metaOf(live)['resourceVersion']) throw statusErrors.conflict(rt, name);
    const merged = mergePatch(live, patch) as JsonObject;
    const incoming = this.#checkIncoming(rt, namespace, name, merged);
    const { pruned, unknown } = this.#prune(rt, incoming);
    const warnings = this.#unknownFieldsOutcome(unknown, opts.fieldValidation, () => `strict decoding error: ${unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`);
    return this.#replace(rt, namespace, name, live, pruned, opts, warnings);
  }

  #apply(rt: ResourceType, namespace: string, name: string, rawBody: Buffer, opts: WriteOptions): Reply {
    const manager = opts.fieldManager;
    if (manager === undefined || manager === '') {
      throw statusErrors.invalid(rt, name, [{ field: 'fieldManager', reason: 'FieldValueRequired', message: 'fieldManager: Required value: is required for apply patch' }]);
    }
    const incoming = this.#checkIncoming(rt, namespace, name, parseBody(rawBody, APPLY_PATCH));
    if (metaOf(incoming)['managedFields'] !== undefined) throw statusErrors.badRequest('metadata.managedFields must be nil');
    const { pruned: applied, unknown } = this.#prune(rt, incoming);
    const warnings = this.#unknownFieldsOutcome(
      unknown,
      opts.fieldValidation,
      () => `failed to create typed patch object (${namespace}/${name}; ${rt.groupVersion}, Kind=${rt.kind}): ${unknown.map((f) => `.${f}: field not declared in schema`).join(', ')}`,
    );
    const live = this.#store.get(rt.plural, namespace, name);
    const precondition = metaOf(applied)['resourceVersion'];
    if (live !== undefined && precondition !== undefined && precondition !== '' && precondition !== metaOf(live)['resourceVersion']) {
      throw statusErrors.conflict(rt, name);
    }
    let outcome;
    try {
      outcome = serverSideApply({ live, applied, manager, force: opts.force === true, schema: rt.schema, apiVersion: rt.groupVersion, now: this.#now() });
    } catch (error) {
      if (error instanceof FieldSetError) throw statusErrors.invalid(rt, name, [{ field: error.field, reason: 'FieldValueInvalid', message: error.message }]);
      throw error;
    }
    if (!outcome.ok) throw statusErrors.fieldManagerConflict(outcome.conflicts, rt.groupVersion);
    let obj = outcome.object;
    if (live === undefined) {
      const { metadata, status: _ignored, ...rest } = obj;
      obj = { apiVersion: rt.groupVersion, kind: rt.kind, metadata: { ...(isObject(metadata) ? metadata : {}), ...this.#newServerMeta(namespace, name) }, ...rest };
    }
    const meta = metaOf(obj);
    this.#validate(rt, obj, live);
    if (live !== undefined) {
      if (deepEqual(withoutVolatile(live), withoutVolatile(obj)) && sameOwnership(live, obj)) return { status: 200, body: clone(live), warnings };
      if (specChanged(live, obj)) meta['generation'] = Number(metaOf(live)['generation'] ?? 1) + 1;
    }
    this.#persist(rt, namespace, name, obj, opts.dryRun);
    return { status: live === undefined ? 201 : 200, body: clone(obj), warnings };
  }

  delete(rt: ResourceType, namespace: string, name: string, body: unknown, dryRun: boolean): Reply {
    const live = this.#store.get(rt.plural, namespace, name);
    if (live === undefined) throw statusErrors.notFound(rt, name);
    const meta = metaOf(live);
    const preconditions = isObject(body) && isObject(body['preconditions']) ? body['preconditions'] : {};
    const uid = preconditions['uid'];
    if (typeof uid === 'string' && uid !== meta['uid']) {
      throw statusErrors.conflict(rt, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(meta['uid'])}`);
    }
    const rv = preconditions['resourceVersion'];
    if (typeof rv === 'string' && rv !== meta['resourceVersion']) {
      throw statusErrors.conflict(rt, name, `Precondition failed: ResourceVersion in precondition: ${rv}, ResourceVersion in object meta: ${String(meta['resourceVersion'])}`);
    }
    const finalizers = meta['finalizers'];
    if (Array.isArray(finalizers) && finalizers.length > 0) {
      // Finalizers hold the object: it is only marked for deletion.
      const marked = clone(live);
      if (metaOf(marked)['deletionTimestamp'] === undefined) {
        metaOf(marked)['deletionTimestamp'] = rfc3339(this.#now());
        metaOf(marked)['deletionGracePeriodSeconds'] = 0;
        this.#persist(rt, namespace, name, marked, dryRun);
      }
      return { status: 200, body: marked };
    }
    if (!dryRun) {
      this.#store.delete(rt.plural, namespace, name);
      this.#store.bump();
    }
    return { status: 200, body: successStatus(rt, name, String(meta['uid'])) };
  }

  /** Stores an object as a person would edit it (an Update by `manager`), bypassing HTTP. */
  putRaw(rt: ResourceType, obj: JsonObject, manager: string | undefined, validate: boolean): JsonObject {
    const meta = metaOf(obj);
    const namespace = String(meta['namespace'] ?? 'default');
    const name = String(meta['name'] ?? '');
    if (name === '') throw new Error('store.put: metadata.name is required');
    const live = this.#store.get(rt.plural, namespace, name);
    const next: JsonObject = clone({ apiVersion: rt.groupVersion, kind: rt.kind, ...obj });
    const nextMeta = metaOf(next);
    nextMeta['namespace'] = namespace;
    const liveMeta = live === undefined ? this.#newServerMeta(namespace, name) : metaOf(live);
    for (const k of ['uid', 'creationTimestamp']) nextMeta[k] ??= liveMeta[k] as Json;
    if (manager !== undefined) {
      delete nextMeta['managedFields'];
      if (live !== undefined && metaOf(live)['managedFields'] !== undefined) nextMeta['managedFields'] = clone(metaOf(live)['managedFields'] as Json);
      recordUpdate({ old: live, next, manager, schema: rt.schema, apiVersion: rt.groupVersion, now: this.#now() });
    }
    // As the server would: an edit through the API cannot set generation; a plant may.
    if (manager !== undefined || nextMeta['generation'] === undefined) {
      nextMeta['generation'] = live === undefined ? 1 : Number(liveMeta['generation'] ?? 1) + (specChanged(live, next) ? 1 : 0);
    }
    if (validate) this.#validate(rt, next, live);
    metaOf(next)['resourceVersion'] = this.#store.bump();
    this.#store.set(rt.plural, namespace, name, next);
    return clone(next);
  }
}
