// A process that can die at a chosen step. The ports handed to the pipeline (registry,
// cluster, state, queue) are wrapped; the N-th call of a chosen method kills the process
// before the call, after it, or — for a batch write — after half of its items. A dead
// process does nothing more: every later call of any wrapped port (and the answer of any
// call still running) never settles, as if the process had vanished mid-await. Nothing
// it had not yet written is written, and nothing it had not yet acknowledged is acknowledged.

export type KillTarget = 'registry' | 'cluster' | 'state' | 'queue' | 'host';

export interface KillPoint {
  target: KillTarget;
  /** the port method; for target `host`: `ack` (the batch handler returned; dies before the acknowledgement) */
  method: string;
  /** which matching call (1-based) */
  call: number;
  /** `before` the call, `after` it completed, or `partial`: a batch call whose first half of items goes through */
  mode: 'before' | 'after' | 'partial';
  /** count only calls whose arguments match (e.g. an apply of at least two objects) */
  matches?: (args: readonly unknown[]) => boolean;
}

export class ProcessKilled extends Error {
  override readonly name = 'ProcessKilled';
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});
const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as { then?: unknown } | null)?.then === 'function';

export class MortalProcess {
  readonly point: KillPoint | undefined;
  /** `target.method#call (mode)` where it died, if it did */
  killedAt: string | undefined;
  /** a note about the death (e.g. how many items a partial batch wrote) */
  detail = '';
  readonly #counts = new Map<string, number>();
  #resolveDeath: () => void = () => {};
  /** resolves when the process dies */
  readonly death: Promise<void>;

  constructor(point?: KillPoint) {
    this.point = point;
    this.death = new Promise<void>((resolve) => (this.#resolveDeath = resolve));
  }

  get killed(): boolean {
    return this.killedAt !== undefined;
  }

  kill(where: string): void {
    if (this.killedAt !== undefined) return;
    this.killedAt = where;
    this.#resolveDeath();
  }

  /** Counts the host's events (`ack`) and dies there when that is the kill point. Returns whether it died. */
  hostEvent(method: string): boolean {
    if (this.killed) return true;
    const p = this.point;
    const n = this.#count('host', method, []);
    if (p !== undefined && p.target === 'host' && p.method === method && n === p.call) this.kill(`host.${method}#${n} (${p.mode})`);
    return this.killed;
  }

  #count(target: KillTarget, method: string, args: readonly unknown[]): number {
    const p = this.point;
    if (p !== undefined && p.target === target && p.method === method && p.matches !== undefined && !p.matches(args)) return 0;
    const key = `${target}.${method}`;
    const n = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, n);
    return n;
  }

  /** The port as the pipeline sees it: same methods, but mortal. */
  wrap<T extends object>(target: KillTarget, port: T): T {
    return new Proxy(port, {
      get: (obj, prop) => {
        const value: unknown = Reflect.get(obj, prop, obj);
        if (typeof value !== 'function' || typeof prop !== 'string') return value;
        const fn = value as (...args: unknown[]) => unknown;
        return (...args: unknown[]): unknown => {
          if (this.killed) return never();
          const n = this.#count(target, prop, args);
          const p = this.point;
          const hit = p !== undefined && p.target === target && p.method === prop && n === p.call;
          const where = `${target}.${prop}#${n} (${p?.mode ?? ''})`;
          if (hit && p.mode === 'before') {
            this.kill(where);
            return never();
          }
          if (hit && p.mode === 'partial') {
            const items = args[0];
            if (!Array.isArray(items)) throw new Error(`kill point ${where}: partial needs a list as first argument`);
            const half = items.slice(0, Math.floor(items.length / 2));
            this.detail = `${half.length} of ${items.length} items`;
            return Promise.resolve(fn.apply(obj, [half, ...args.slice(1)])).then(() => {
              this.kill(where);
              return never();
            });
          }
          const result = fn.apply(obj, args);
          if (hit && p.mode === 'after') {
            return Promise.resolve(result).then(() => {
              this.kill(where);
              return never();
            });
          }
          if (!isThenable(result)) return result;
          // an answer that arrives after the death is never seen
          return Promise.resolve(result).then(
            (v: unknown) => (this.killed ? never() : v),
            (e: unknown) => (this.killed ? never() : Promise.reject(e)),
          );
        };
      },
    });
  }
}
