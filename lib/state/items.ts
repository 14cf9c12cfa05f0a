// Item shapes as stored, and their checks on the way back in. Anything in the table may
// have been edited by hand or written by an older version, so every item read is
// validated and a bad one becomes a CorruptItem naming its key and field.
import { z } from 'zod';
import { CycleStateSchema, parseCycleState, type Cycle } from '../debounce/cycle.ts';
import { ValidationError, describeValue, parseOrThrow } from '../model/validation.ts';
import { PARTITION, PK, SK, TTL_ATTRIBUTE } from './table.ts';
import { randomBytes } from 'node:crypto';
import { RUN_KINDS, RUN_OUTCOMES, type CorruptItem, type ServiceRecord, type ServiceSummary, type StoredRunRecord } from './state-store.ts';

export type Item = Record<string, unknown>;

/** Longest service key that still leaves room in the 1024-byte sort key of its OBJ items. */
export const MAX_SERVICE_KEY_BYTES = 900;
/** Budget of one OBJ item's map, below DynamoDB's 400 KB item limit. */
export const MAX_CHUNK_BYTES = 300_000;

const hash = z.string().min(1).max(256);
const epochMs = z.number().int().nonnegative();
const version = z.number().int().positive();

// Loose: fields added to ServiceRecord are kept (see recordExtras).
const SummaryItemSchema = z.looseObject({
  [PK]: z.literal(PARTITION.service),
  [SK]: z.string().min(1),
  registryHash: hash,
  lastPushAt: epochMs,
  lastPushCorrelationId: z.string().optional(),
  unsettledAt: epochMs.optional(),
  objectCount: z.number().int().nonnegative(),
  objectsRef: z.string(),
  objectsChunks: z.number().int().nonnegative(),
  version,
});

const ChunkItemSchema = z.object({
  [PK]: z.literal(PARTITION.objects),
  [SK]: z.string().min(1),
  serviceKey: z.string().min(1),
  ref: z.string().min(1),
  chunk: z.number().int().nonnegative(),
  objects: z.record(z.string().min(1), hash),
  writtenAt: epochMs,
});
export type ChunkItem = z.infer<typeof ChunkItemSchema>;

const CycleItemSchema = z.object({
  [PK]: z.literal(PARTITION.cycle),
  [SK]: z.string().min(1),
  state: z.union([z.null(), CycleStateSchema]),
  version,
  updatedAt: epochMs,
});

const RunItemSchema = z.object({
  [PK]: z.literal(PARTITION.run),
  [SK]: z.string().min(1),
  id: z.string().min(1),
  kind: z.enum(RUN_KINDS),
  startedAt: epochMs,
  finishedAt: epochMs,
  outcome: z.enum(RUN_OUTCOMES),
  counts: z.record(z.string(), z.number()),
  message: z.string().optional(),
  [TTL_ATTRIBUTE]: z.number().int().nonnegative(),
});

function describeItem(item: Item): string {
  return `${String(item[PK])}/${String(item[SK])}`;
}

/** Validate one item; a failure becomes a CorruptItem naming the item key and field. */
function check<S extends z.ZodType>(schema: S, item: Item): { ok: true; value: z.infer<S> } | { ok: false; corrupt: CorruptItem } {
  try {
    return { ok: true, value: parseOrThrow(schema, item, `item ${describeItem(item)}`) };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const v = item['version'];
    const corrupt: CorruptItem = {
      pk: String(item[PK]),
      sk: String(item[SK]),
      field: error.field,
      value: error.value,
      message: error.message,
    };
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) corrupt.version = v;
    return { ok: false, corrupt };
  }
}

/** Attributes of a summary item that are not ServiceRecord fields of a caller's. */
const SUMMARY_ATTRIBUTES = new Set([PK, SK, 'registryHash', 'objectCount', 'objectsRef', 'objectsChunks', 'version']);
/** Written by older versions and read by nobody: dropped on the way in. */
const RETIRED_ATTRIBUTES = new Set(['registryRevision']);
const RECORD_FIELDS = new Set(['serviceKey', 'objectsHash', 'objects', 'lastPushAt', 'lastPushCorrelationId']);

/**
 * The fields of a record beyond the ones this module knows, so that an optional field
 * added to ServiceRecord is stored without a change here. Bookkeeping keys are dropped:
 * a caller may pass a whole ServiceState as the record.
 */
export function recordExtras(record: object): Record<string, unknown> {
  const extras: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (v !== undefined && !RECORD_FIELDS.has(k) && !SUMMARY_ATTRIBUTES.has(k) && !RETIRED_ATTRIBUTES.has(k)) extras[k] = v;
  }
  return extras;
}

export function summaryFromItem(item: Item): { ok: true; value: ServiceSummary } | { ok: false; corrupt: CorruptItem } {
  const r = check(SummaryItemSchema, item);
  if (!r.ok) return r;
  const i = r.value;
  const s: ServiceSummary = {
    ...recordExtras(i),
    serviceKey: i[SK],
    objectsHash: i.registryHash,
    lastPushAt: i.lastPushAt,
    objectCount: i.objectCount,
    version: i.version,
    objectsRef: i.objectsRef,
    objectsChunks: i.objectsChunks,
  };
  if (i.lastPushCorrelationId !== undefined) s.lastPushCorrelationId = i.lastPushCorrelationId;
  if ((i.objectsChunks === 0) !== (i.objectsRef === '')) {
    return {
      ok: false,
      corrupt: { pk: PARTITION.service, sk: i[SK], field: `item ${describeItem(item)}.objectsChunks`, value: i.objectsChunks, message: `item ${describeItem(item)}.objectsChunks: ${i.objectsChunks} does not match objectsRef ${describeValue(i.objectsRef)}`, version: i.version },
    };
  }
  return { ok: true, value: s };
}

export function summaryToItem(record: ServiceRecord, meta: { version: number; objectsRef: string; objectsChunks: number }): Item {
  return {
    ...recordExtras(record),
    [PK]: PARTITION.service,
    [SK]: record.serviceKey,
    // stored under the attribute name it always had: tables written by older versions read as they are
    registryHash: record.objectsHash,
    lastPushAt: record.lastPushAt,
    lastPushCorrelationId: record.lastPushCorrelationId,
    objectCount: Object.keys(record.objects).length,
    objectsRef: meta.objectsRef,
    objectsChunks: meta.objectsChunks,
    version: meta.version,
  };
}

/**
 * A fresh name for the object items of one write, carrying the version of the summary
 * that write makes current. Once a summary at version V is written, an item of its
 * service with another ref and a ref version up to V can never become current any more
 * (a write for V lost or crashed), so the write deletes it; items of a higher version
 * may belong to a write still under way and are left alone.
 */
export function newObjectsRef(version: number): string {
  return `${version}.${randomBytes(8).toString('hex')}`;
}

/** The version a ref was written for; 0 for refs of older releases (plain hex). */
export function refVersion(ref: string): number {
  const m = /^(\d+)\./.exec(ref);
  return m === null ? 0 : Number(m[1]);
}

export function chunkSortKey(serviceKey: string, ref: string, chunk: number): string {
  return `${serviceKey}#${ref}#${String(chunk).padStart(4, '0')}`;
}

export function chunkFromItem(item: Item): { ok: true; value: ChunkItem } | { ok: false; corrupt: CorruptItem } {
  return check(ChunkItemSchema, item);
}

/** Split an object map into OBJ items that each stay well under the item size limit. */
export function chunkItems(serviceKey: string, ref: string, objects: Record<string, string>, writtenAt: number): Item[] {
  const chunks: Record<string, string>[] = [];
  let current: Record<string, string> = {};
  let size = 0;
  let count = 0;
  for (const key of Object.keys(objects).sort()) {
    const value = objects[key] as string;
    const n = Buffer.byteLength(key) + Buffer.byteLength(value) + 4;
    if (count > 0 && size + n > MAX_CHUNK_BYTES) {
      chunks.push(current);
      current = {};
      size = 0;
      count = 0;
    }
    current[key] = value;
    size += n;
    count++;
  }
  if (count > 0) chunks.push(current);
  return chunks.map((objectsOfChunk, chunk) => ({
    [PK]: PARTITION.objects,
    [SK]: chunkSortKey(serviceKey, ref, chunk),
    serviceKey,
    ref,
    chunk,
    objects: objectsOfChunk,
    writtenAt,
  }));
}

const ServiceRecordSchema = z.object({
  serviceKey: z
    .string()
    .min(1)
    .refine((k) => Buffer.byteLength(k) <= MAX_SERVICE_KEY_BYTES, { message: `longer than ${MAX_SERVICE_KEY_BYTES} bytes` }),
  objectsHash: hash,
  objects: z.record(z.string().min(1), hash),
  lastPushAt: epochMs,
  lastPushCorrelationId: z.string().min(1).optional(),
});

/** Check a record before writing it; throws a ValidationError naming the field. */
export function validateServiceRecord(record: ServiceRecord): void {
  parseOrThrow(ServiceRecordSchema, record, 'service');
}

export function cycleFromItem(item: Item): { ok: true; value: { state: Cycle; version: number } } | { ok: false; corrupt: CorruptItem } {
  const r = check(CycleItemSchema, item);
  if (!r.ok) return r;
  return { ok: true, value: { state: parseCycleState(r.value.state), version: r.value.version } };
}

export function runSortKey(startedAt: number, id: string): string {
  return `${String(startedAt).padStart(13, '0')}#${id}`;
}

export function runToItem(run: StoredRunRecord): Item {
  return { [PK]: PARTITION.run, [SK]: runSortKey(run.startedAt, run.id), ...run };
}

export function runFromItem(item: Item): { ok: true; value: StoredRunRecord } | { ok: false; corrupt: CorruptItem } {
  const r = check(RunItemSchema, item);
  if (!r.ok) return r;
  const i = r.value;
  const run: StoredRunRecord = { id: i.id, kind: i.kind, startedAt: i.startedAt, finishedAt: i.finishedAt, outcome: i.outcome, counts: i.counts, expiresAt: i[TTL_ATTRIBUTE] };
  if (i.message !== undefined) run.message = i.message;
  return { ok: true, value: run };
}

const RunRecordSchema = RunItemSchema.omit({ [PK]: true, [SK]: true, [TTL_ATTRIBUTE]: true });

export function validateRunRecord(run: unknown): void {
  parseOrThrow(RunRecordSchema, run, 'run');
}
