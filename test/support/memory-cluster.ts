// An in-memory ClusterTarget, so that push, sync and reconcile can be unit-tested in
// milliseconds. It keeps what the pipeline relies on in the real writer (lib/kube/writer.ts)
// and the manifests folder (lib/output/folder-cluster.ts): an object without this source's
// ownership labels is never written or deleted, only reported as a conflict; listings show
// owned objects only, by service label and audit shard; a spec change bumps
// metadata.generation, as the API server does, so a hand edit is visible from metadata.
// Faults are chosen per object key: a failure, an unknown outcome, a late-landing write.
// Hand edits (put, edit, remove) stand for people and other tools: they are not counted.
// As the writer, a listing leaves out the per-consumer kinds (Sidecars) unless it names
// them, and, given `kinds` (the writer's managed kinds), lists those kinds only; objects
// may be in any namespace (a rate-limit EnvoyFilter in istio-system).
import { keyOfRef, keyOfObject, type IstioKind, type IstioObject } from '../../lib/model/istio.ts';
import { PER_CONSUMER_KINDS } from '../../lib/model/istio.ts';
import { isOwnedBy, SERVICE_LABEL, SHARD_LABEL } from '../../lib/model/ownership.ts';
import type { ObjectRef } from '../../lib/plan/object-plan.ts';
import type { ApplyOutcome, ClusterTarget, DeleteOutcome, LiveObject, PipelineDeps } from '../../lib/pipeline/contracts.ts';
import type { ClusterContentReader, LiveContent } from '../../lib/pipeline/reconcile.ts';
import type { DirtyMessage } from '../../lib/queue/dirty-message.ts';
import type { SendOptions, SendReport, WorkQueue } from '../../lib/queue/work-queue.ts';
import { createMemoryStateStore, type MemoryStateStore } from '../../lib/state/memory-store.ts';
import { resolveRenderOptions, type RenderOptionsInput } from '../../lib/render/options.ts';
import { DEFAULT_DELETION_GUARD } from '../../lib/plan/deletion-guard.ts';
import { PipelineMetrics } from '../../lib/pipeline/metrics.ts';
import { silentLogger } from '../../lib/log.ts';
import { createManualClock, type ManualClock } from '../../lib/time/manual-clock.ts';
import { StaticRegistrySource } from './static-registry-source.ts';

interface Held {
  object: IstioObject;
  generation: number;
}

const keyOf = (o: IstioObject): string => keyOfObject(o);

export class MemoryCluster implements ClusterTarget {
  readonly source: string;
  /** the kinds listed (ClusterTarget.kinds); undefined: every kind. Writable, as a config change between runs. */
  kinds: readonly IstioKind[] | undefined;
  /** apply() and delete() calls: the mutating requests a real writer would send */
  applyCalls = 0;
  deleteCalls = 0;
  /** every object the pipeline actually wrote or deleted, in order */
  readonly changes: { op: 'apply' | 'delete'; key: string }[] = [];
  /** keys whose apply or delete fails (a rejected object, an outage) */
  readonly failing = new Set<string>();
  /**
   * Keys whose attempts end with an unknown outcome (a timeout before a retry answered):
   * the write still happens unless the key is also `failing`, and landLate can replay it.
   */
  readonly uncertain = new Set<string>();
  readonly #objects = new Map<string, Held>();
  /** the last body sent in an uncertain apply, per key: what a late landing writes */
  readonly #inFlight = new Map<string, IstioObject>();

  constructor(source = 'default', kinds?: readonly IstioKind[]) {
    this.source = source;
    this.kinds = kinds;
  }

  get mutatingCalls(): number {
    return this.applyCalls + this.deleteCalls;
  }

  async listOwned(options: { shards?: readonly number[]; services?: readonly string[]; kinds?: readonly IstioKind[] } = {}): Promise<LiveObject[]> {
    // As the writer's label selector: an empty `in ()` matches nothing.
    if (options.shards?.length === 0 || options.services?.length === 0) return [];
    const managed = (kind: IstioKind): boolean => this.kinds === undefined || this.kinds.includes(kind);
    const listed = (kind: IstioKind): boolean => (options.kinds === undefined ? managed(kind) && !PER_CONSUMER_KINDS.includes(kind) : options.kinds.includes(kind));
    const out: LiveObject[] = [];
    for (const { object, generation } of this.#objects.values()) {
      const labels = object.metadata.labels;
      if (!isOwnedBy(labels, this.source) || !listed(object.kind)) continue;
      if (options.shards !== undefined && !options.shards.includes(Number(labels[SHARD_LABEL]))) continue;
      if (options.services !== undefined && !options.services.includes(labels[SERVICE_LABEL] ?? '')) continue;
      const { kind, metadata } = structuredClone(object);
      out.push({ kind, namespace: metadata.namespace, name: metadata.name, labels: metadata.labels, annotations: metadata.annotations, generation });
    }
    return out;
  }

  async apply(objects: readonly IstioObject[]): Promise<ApplyOutcome> {
    this.applyCalls++;
    const outcome: ApplyOutcome = { applied: [], conflicts: [], failed: [] };
    for (const object of objects) {
      const key = keyOf(object);
      if (!isOwnedBy(object.metadata.labels, this.source)) {
        outcome.failed.push({ key, error: `not applied: lacks the ownership labels of source ${this.source}` });
        continue;
      }
      if (this.kinds !== undefined && !this.kinds.includes(object.kind)) {
        outcome.failed.push({ key, error: `not applied: ${object.kind} is not a kind this writer manages (${this.kinds.join(', ')})` });
        continue;
      }
      const held = this.#objects.get(key);
      // The writer looks before it writes, so a foreign object never sees a request at all.
      if (held !== undefined && !isOwnedBy(held.object.metadata.labels, this.source)) {
        outcome.conflicts.push({ key, reason: `${key} exists without sc2mesh ownership marks; left untouched` });
        continue;
      }
      if (this.uncertain.has(key)) {
        (outcome.uncertain ??= []).push(key);
        this.#inFlight.set(key, structuredClone(object));
      }
      if (this.failing.has(key)) {
        outcome.failed.push({ key, error: 'injected failure' });
        continue;
      }
      outcome.applied.push({ key, generation: this.#write(object) });
      this.changes.push({ op: 'apply', key });
    }
    return outcome;
  }

  async delete(refs: readonly ObjectRef[]): Promise<DeleteOutcome> {
    this.deleteCalls++;
    const outcome: DeleteOutcome = { deleted: [], absent: [], conflicts: [], failed: [] };
    for (const ref of refs) {
      const key = keyOfRef(ref);
      const held = this.#objects.get(key);
      if (this.uncertain.has(key)) (outcome.uncertain ??= []).push(key);
      if (this.failing.has(key)) outcome.failed.push({ key, error: 'injected failure' });
      else if (held === undefined) outcome.absent.push(key);
      else if (!isOwnedBy(held.object.metadata.labels, this.source)) outcome.conflicts.push({ key, reason: `${key} exists without sc2mesh ownership marks; not deleted` });
      else {
        this.#objects.delete(key);
        this.changes.push({ op: 'delete', key });
        outcome.deleted.push(key);
      }
    }
    return outcome;
  }

  /** Every object of the managed kinds, whoever owns it, spec included: a resync's full read. */
  contentReader(): ClusterContentReader {
    const objects = (): LiveContent[] =>
      [...this.#objects.values()].filter(({ object }) => this.kinds === undefined || this.kinds.includes(object.kind)).map(({ object }) => {
        const { kind, metadata, spec } = structuredClone(object);
        return { kind, namespace: metadata.namespace, name: metadata.name, labels: metadata.labels, annotations: metadata.annotations, spec };
      });
    return {
      async *pages() {
        yield objects();
      },
    };
  }

  /** Stores as the API server would: a new object starts at generation 1, a spec change bumps it. */
  #write(object: IstioObject): number {
    const key = keyOf(object);
    const held = this.#objects.get(key);
    const sameSpec = held !== undefined && JSON.stringify(held.object.spec) === JSON.stringify(object.spec);
    const generation = held === undefined ? 1 : sameSpec ? held.generation : held.generation + 1;
    this.#objects.set(key, { object: structuredClone(object), generation });
    return generation;
  }

  // ---- by hand: people, other tools, the API server finishing old requests ----

  /** Creates or replaces an object, owned or not. */
  put(object: IstioObject): void {
    this.#write(object);
  }

  /** Changes an object in place (e.g. a hand-edited address). */
  edit(key: string, change: (object: IstioObject) => void): void {
    const held = this.#objects.get(key);
    if (held === undefined) throw new Error(`memory cluster: no ${key} to edit`);
    const next = structuredClone(held.object);
    change(next);
    this.#write(next);
  }

  remove(key: string): void {
    if (!this.#objects.delete(key)) throw new Error(`memory cluster: no ${key} to remove`);
  }

  /** The API server carries out an uncertain apply of `key` late, after newer writes or a delete. */
  landLate(key: string): void {
    const object = this.#inFlight.get(key);
    if (object === undefined) throw new Error(`memory cluster: no uncertain apply of ${key} to land`);
    this.#inFlight.delete(key);
    this.#write(object);
  }

  get(key: string): IstioObject | undefined {
    const held = this.#objects.get(key);
    return held === undefined ? undefined : structuredClone(held.object);
  }

  generationOf(key: string): number | undefined {
    return this.#objects.get(key)?.generation;
  }

  /** Keys of every object held, sorted; optionally of one kind. */
  keys(kind?: IstioObject['kind']): string[] {
    return [...this.#objects.values()]
      .filter(({ object }) => kind === undefined || object.kind === kind)
      .map(({ object }) => keyOf(object))
      .sort();
  }
}

/** Keeps what a sync enqueued, for the test to push. */
export class RecordingQueue implements WorkQueue {
  readonly sent: DirtyMessage[] = [];
  async send(messages: readonly DirtyMessage[], _options?: SendOptions): Promise<SendReport> {
    this.sent.push(...messages);
    return { messages: messages.length, requests: 0, retriedEntries: 0 };
  }
  keys(): string[] {
    return this.sent.flatMap((m) => m.keys).sort();
  }
  clear(): void {
    this.sent.length = 0;
  }
}

export interface MemoryPipeline extends PipelineDeps {
  registry: StaticRegistrySource;
  cluster: MemoryCluster;
  state: MemoryStateStore;
  queue: RecordingQueue;
  /** state's clock too; tests move it instead of sleeping */
  clock: ManualClock;
}

/** Every pipeline dependency in memory: enough for push, sync, scheduled sync and reconcile. */
export function memoryPipeline(options: { render?: RenderOptionsInput; kinds?: readonly IstioKind[] } = {}): MemoryPipeline {
  const clock = createManualClock(1_700_000_000_000);
  const render = resolveRenderOptions(options.render ?? {});
  return {
    registry: new StaticRegistrySource(),
    cluster: new MemoryCluster(render.source, options.kinds),
    state: createMemoryStateStore({ clock, onCorrupt: () => {} }),
    queue: new RecordingQueue(),
    render,
    guard: { ...DEFAULT_DELETION_GUARD },
    metrics: new PipelineMetrics(),
    logger: silentLogger,
    clock,
  };
}
