// dynalite in this process: the local runner's and the tests' DynamoDB. It listens on
// 127.0.0.1 on a free port, keeps data in memory or, with `path`, in a LevelDB directory
// (local mode survives restarts), and is reached through the same @aws-sdk client as
// production, with dummy credentials so no AWS account is involved.
//
// A LevelDB folder can be open in one process only, and a second open does damage before
// it fails (LevelDB rotates the LOG file before it tries the LOCK). So whoever opens a
// folder leaves a holder file in it (pid, and for `sc2mesh run` the URL of its ops API),
// and an open first reads that file and refuses, naming the holder, without touching
// LevelDB. LevelDB ignores files whose names are not its own.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureStateTable } from './table.ts';

export interface EmbeddedDynaliteOptions {
  tableName: string;
  /** LevelDB directory; in memory when absent */
  path?: string;
  /** written into the holder file, for the error another process shows (e.g. 'sc2mesh run') */
  holder?: string;
}

export interface EmbeddedDynalite {
  endpoint: string;
  client: DynamoDBClient;
  tableName: string;
  /** whether this start created the table */
  created: boolean;
  close(): Promise<void>;
}

export const HOLDER_FILE = 'sc2mesh-holder.json';

/** Who has a state folder open. */
export interface StateHolder {
  pid: number;
  /** tells two opens of one process apart (tests run the runner and the CLI in one process) */
  instance: string;
  command: string;
  startedAt: string;
  /** the holder's ops API (`sc2mesh run`): status, diff and resync are served there */
  opsUrl?: string;
  /** bearer token of that API; the file is readable by the folder's owner only */
  token?: string;
}

export class StateInUseError extends Error {
  override readonly name = 'StateInUseError';
  readonly dir: string;
  readonly holder: StateHolder;
  constructor(dir: string, holder: StateHolder) {
    super(`state folder ${dir} is in use by ${holder.command} (pid ${holder.pid}, since ${holder.startedAt}); stop it first, or point --state-dir elsewhere`);
    this.dir = dir;
    this.holder = holder;
  }
}

/** Folders this process holds open, by resolved path → holder instance. */
const heldHere = new Map<string, string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): StateHolder | undefined {
  try {
    const raw = JSON.parse(text) as Partial<StateHolder>;
    if (typeof raw.pid !== 'number' || typeof raw.instance !== 'string') return undefined;
    return { command: 'another process', startedAt: 'unknown', ...raw } as StateHolder;
  } catch {
    return undefined;
  }
}

/**
 * The live holder of a state folder, if any; a file left by a process that has died is
 * not a holder. Reads only the holder file: safe while the folder is open elsewhere.
 */
export async function readStateHolder(dir: string): Promise<StateHolder | undefined> {
  const path = resolve(dir);
  let text: string;
  try {
    text = await readFile(join(path, HOLDER_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const holder = parseHolder(text);
  if (holder === undefined) return undefined;
  if (holder.pid === process.pid) return heldHere.get(path) === holder.instance ? holder : undefined;
  return isAlive(holder.pid) ? holder : undefined;
}

/** Whether a LevelDB state has ever been written in `dir` (opening it would create one). */
export function stateExists(dir: string): boolean {
  return existsSync(join(resolve(dir), 'CURRENT'));
}

async function claim(path: string, holder: StateHolder): Promise<void> {
  await mkdir(path, { recursive: true });
  const file = join(path, HOLDER_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // Exclusive create: of two processes opening at once, one wins here, before LevelDB.
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(JSON.stringify(holder));
      await handle.close();
      heldHere.set(path, holder.instance);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const current = await readStateHolder(path);
      if (current !== undefined) throw new StateInUseError(path, current);
      // Left by a process that died: take it over.
      await unlink(file).catch(() => {});
    }
  }
  throw new Error(`state folder ${path}: could not create ${HOLDER_FILE} (another process keeps recreating it)`);
}

async function release(path: string, instance: string): Promise<void> {
  if (heldHere.get(path) !== instance) return;
  heldHere.delete(path);
  const file = join(path, HOLDER_FILE);
  const current = parseHolder(await readFile(file, 'utf8').catch(() => ''));
  if (current?.instance === instance) await unlink(file).catch(() => {});
}

/**
 * Adds what another process needs to reach this one (the ops API) to the holder file of a
 * folder this process holds. No-op for a folder it does not hold.
 */
export async function announceStateHolder(dir: string, extra: { command?: string; opsUrl?: string; token?: string }): Promise<boolean> {
  const path = resolve(dir);
  const instance = heldHere.get(path);
  if (instance === undefined) return false;
  const file = join(path, HOLDER_FILE);
  const current = parseHolder(await readFile(file, 'utf8').catch(() => ''));
  if (current?.instance !== instance) return false;
  // Written aside and renamed, so a reader never sees half a file.
  const tmp = `${file}.${instance}.tmp`;
  await writeFile(tmp, JSON.stringify({ ...current, ...extra }), { mode: 0o600 });
  await rename(tmp, file);
  return true;
}

/** A DynamoDB client for a local endpoint (dynalite), needing no AWS credentials. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
}

/** LevelDB's own refusal, for a holder that left no file (an older sc2mesh, a crash mid-start). */
function isLockError(error: unknown): boolean {
  const text = `${(error as Error).message ?? ''} ${String((error as { cause?: unknown }).cause ?? '')}`;
  return /Database is (not open|closed)|LOCK|lock hold|Resource temporarily unavailable/i.test(text);
}

export async function startEmbeddedDynalite(options: EmbeddedDynaliteOptions): Promise<EmbeddedDynalite> {
  // '' is in memory too: a configuration's way of saying "no folder".
  const path = options.path === undefined || options.path === '' ? undefined : resolve(options.path);
  const instance = randomUUID();
  if (path !== undefined) {
    await claim(path, { pid: process.pid, instance, command: options.holder ?? `sc2mesh ${process.argv[2] ?? ''}`.trim(), startedAt: new Date().toISOString() });
  }
  // Loaded on demand: the Lambda bundles never start it and do not ship it.
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(path !== undefined ? { path } : {}) });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    if (path !== undefined) await release(path, instance);
    throw error;
  }
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = localDynamoClient(endpoint);
  const close = async (): Promise<void> => {
    client.destroy();
    server.closeAllConnections();
    try {
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    } finally {
      if (path !== undefined) await release(path, instance);
    }
  };
  try {
    const created = (await ensureStateTable(client, options.tableName)) === 'created';
    return { endpoint, client, tableName: options.tableName, created, close };
  } catch (error) {
    await close().catch(() => {});
    if (path !== undefined && isLockError(error)) throw new Error(`state folder ${path} is locked by another process (LevelDB LOCK); stop the other sc2mesh first, or point --state-dir elsewhere`, { cause: error });
    throw error;
  }
}
