// Calls between the scale bench and its child processes over Node's IPC channel. Each
// measured part runs in a process of its own so its memory is its own and the bench's
// polling and the registry simulator do not share its event loop.
import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

interface RpcRequest {
  id: number;
  op: string;
  args: unknown;
}

interface RpcReply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

type Handler = (args: unknown) => unknown;

/** Wall-clock milliseconds with sub-ms resolution, comparable between processes. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

export interface MemoryFigures {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  /** peak RSS of the process so far */
  maxRssMb: number;
}

/** After a full GC when the process runs with --expose-gc: what is retained, not garbage. */
export function memoryFigures(): MemoryFigures {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const mb = (n: number): number => n / 1024 / 1024;
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external), maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

/** In a child: answers the parent's calls; the child exits when the parent goes away. */
export function serveRpc(handlers: Record<string, Handler>): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('bench scale: a child process needs an IPC channel');
  process.on('disconnect', () => process.exit(1));
  process.on('message', (raw: unknown) => {
    const request = raw as RpcRequest;
    const handler = handlers[request.op];
    void (async () => {
      let reply: RpcReply;
      try {
        if (handler === undefined) throw new Error(`unknown op ${request.op}`);
        reply = { id: request.id, ok: true, result: await handler(request.args) };
      } catch (error) {
        reply = { id: request.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      }
      send(reply);
    })();
  });
  send({ id: 0, ok: true, result: 'ready' } satisfies RpcReply);
}

export class Child {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  #exited = false;
  readonly name: string;
  readonly logPath: string;

  private constructor(name: string, child: ChildProcess, logPath: string) {
    this.name = name;
    this.#child = child;
    this.logPath = logPath;
    child.on('message', (raw: unknown) => {
      const reply = raw as RpcReply;
      const waiting = this.#pending.get(reply.id);
      if (waiting === undefined) return;
      this.#pending.delete(reply.id);
      if (reply.ok) waiting.resolve(reply.result);
      else waiting.reject(new Error(`${name}: ${reply.error ?? 'failed'}`));
    });
    child.on('exit', (code, signal) => {
      this.#exited = true;
      for (const w of this.#pending.values()) w.reject(new Error(`${name} exited (${code ?? signal ?? '?'}); see ${logPath}`));
      this.#pending.clear();
    });
  }

  static async start(name: string, file: string, options: { env: NodeJS.ProcessEnv; logPath: string; maxOldSpaceMb?: number; startTimeoutMs?: number }): Promise<Child> {
    const log = openSync(options.logPath, 'a');
    const child = fork(file, [], {
      env: options.env,
      execArgv: ['--disable-warning=ExperimentalWarning', '--expose-gc', `--max-old-space-size=${options.maxOldSpaceMb ?? 8192}`],
      stdio: ['ignore', log, log, 'ipc'],
    });
    closeSync(log);
    const handle = new Child(name, child, options.logPath);
    const ready = new Promise<unknown>((resolve, reject) => handle.#pending.set(0, { resolve, reject }));
    await withTimeout(ready, options.startTimeoutMs ?? 60_000, `${name} start`);
    return handle;
  }

  call<T>(op: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`${this.name} has exited; see ${this.logPath}`));
    const id = this.#next++;
    const answer = new Promise<unknown>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#child.send({ id, op, args } satisfies RpcRequest);
    return withTimeout(answer, timeoutMs, `${this.name} ${op}`).finally(() => this.#pending.delete(id)) as Promise<T>;
  }

  /** Asks the child to stop itself; kills it if it has not exited after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    await this.call('stop', {}, graceMs).catch(() => undefined);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Last resort on the way out (the bench must never leave a process behind). */
  kill(): void {
    if (!this.#exited) this.#child.kill('SIGKILL');
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
