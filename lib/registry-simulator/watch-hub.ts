// The server side of the instance watch, with the real server's liveness rules:
// - it pings an idle subscriber every pingIntervalMs and, at each ping, checks that the
//   consumer service still exists; once the client pings by itself, the server stops
//   both (so a deleted consumer's socket is not noticed);
// - a consumer found missing at a check stops receiving (and being pinged) but its socket
//   stays open until the read deadline;
// - the read deadline (readTimeoutMs) is pushed back only by pings and pongs from the
//   client; when it passes, the connection is dropped without a close frame.
import type { WebSocket } from 'ws';
import type { ActiveFaults } from './faults.ts';

export interface WatchHubOptions {
  pingIntervalMs: number;
  readTimeoutMs: number;
  consumerExists: (tenant: string, consumerId: string) => boolean;
  faults: () => ActiveFaults;
}

interface Subscriber {
  ws: WebSocket;
  tenant: string;
  consumerId: string;
  /** false once the client pinged by itself */
  needPing: boolean;
  /** false once a health check found the consumer gone */
  active: boolean;
  pingTimer: NodeJS.Timeout | undefined;
  readTimer: NodeJS.Timeout;
  queue: string[];
  pumping: boolean;
}

export interface HubStats {
  subscribers: number;
  framesSent: number;
  dropped: number;
}

export class WatchHub {
  readonly #options: WatchHubOptions;
  readonly #byConsumer = new Map<string, Set<Subscriber>>();
  readonly #all = new Set<Subscriber>();
  framesSent = 0;
  dropped = 0;

  constructor(options: WatchHubOptions) {
    this.#options = options;
  }

  accept(ws: WebSocket, tenant: string, consumerId: string): void {
    if (!this.#options.consumerExists(tenant, consumerId)) {
      // one text frame, then the connection is closed without a close frame
      ws.send('service does not exist', () => ws.terminate());
      return;
    }
    const sub: Subscriber = {
      ws,
      tenant,
      consumerId,
      needPing: true,
      active: true,
      pingTimer: undefined,
      readTimer: setTimeout(() => this.#drop(sub), this.#options.readTimeoutMs),
      queue: [],
      pumping: false,
    };
    sub.pingTimer = setInterval(() => this.#healthCheck(sub), this.#options.pingIntervalMs);
    const key = `${tenant} ${consumerId}`;
    let set = this.#byConsumer.get(key);
    if (set === undefined) this.#byConsumer.set(key, (set = new Set()));
    set.add(sub);
    this.#all.add(sub);
    ws.on('ping', () => {
      sub.readTimer.refresh();
      if (sub.needPing) {
        sub.needPing = false;
        clearInterval(sub.pingTimer);
      }
    });
    ws.on('pong', () => sub.readTimer.refresh());
    ws.on('error', () => undefined);
    ws.on('close', () => this.#remove(sub));
  }

  /** Sends one event frame to every open socket of these consumers. */
  publish(tenant: string, consumerIds: Iterable<string>, frame: string): void {
    for (const consumerId of consumerIds) {
      const set = this.#byConsumer.get(`${tenant} ${consumerId}`);
      if (set === undefined) continue;
      for (const sub of set) if (sub.active) this.#send(sub, frame);
    }
  }

  /** Test helper: a raw text frame to every open socket (malformed frames, empty frames). */
  sendRaw(text: string): number {
    let n = 0;
    for (const sub of this.#all) {
      if (sub.ws.readyState === sub.ws.OPEN) {
        sub.ws.send(text);
        n++;
      }
    }
    return n;
  }

  /** Drops every socket without a close frame; returns how many. */
  dropAll(): number {
    const n = this.#all.size;
    for (const sub of [...this.#all]) this.#drop(sub);
    return n;
  }

  /** Open subscriber sockets, optionally of one consumer. */
  count(tenant?: string, consumerId?: string): number {
    if (tenant !== undefined && consumerId !== undefined) return this.#byConsumer.get(`${tenant} ${consumerId}`)?.size ?? 0;
    return this.#all.size;
  }

  stats(): HubStats {
    return { subscribers: this.#all.size, framesSent: this.framesSent, dropped: this.dropped };
  }

  #send(sub: Subscriber, frame: string): void {
    const slow = this.#options.faults().slowConsumer;
    if (slow === null && sub.queue.length === 0) {
      sub.ws.send(frame);
      this.framesSent++;
      return;
    }
    sub.queue.push(frame);
    if (slow !== null && sub.queue.length > slow.maxQueue) {
      this.#drop(sub);
      return;
    }
    if (!sub.pumping) this.#pump(sub);
  }

  #pump(sub: Subscriber): void {
    sub.pumping = true;
    const next = (): void => {
      if (!this.#all.has(sub)) return;
      const frame = sub.queue.shift();
      if (frame === undefined) {
        sub.pumping = false;
        return;
      }
      sub.ws.send(frame);
      this.framesSent++;
      const delay = this.#options.faults().slowConsumer?.delayMs ?? 0;
      setTimeout(next, delay);
    };
    setTimeout(next, this.#options.faults().slowConsumer?.delayMs ?? 0);
  }

  #healthCheck(sub: Subscriber): void {
    if (!sub.needPing) return;
    if (!this.#options.consumerExists(sub.tenant, sub.consumerId)) {
      // the real server stops serving this watcher but leaves the connection open
      sub.active = false;
      clearInterval(sub.pingTimer);
      return;
    }
    sub.ws.ping();
  }

  #drop(sub: Subscriber): void {
    this.dropped++;
    this.#remove(sub);
    sub.ws.terminate();
  }

  #remove(sub: Subscriber): void {
    if (!this.#all.delete(sub)) return;
    clearInterval(sub.pingTimer);
    clearTimeout(sub.readTimer);
    sub.queue.length = 0;
    const key = `${sub.tenant} ${sub.consumerId}`;
    const set = this.#byConsumer.get(key);
    set?.delete(sub);
    if (set?.size === 0) this.#byConsumer.delete(key);
  }
}
