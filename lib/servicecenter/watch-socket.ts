// One watch WebSocket: the handshake (to the address, with the TLS settings and headers
// the registry HTTP layer gives), and liveness by client pings. What arrives is handed
// over raw; decoding is watch-frame.ts, and what a frame means is the app watcher's.
import WebSocket from 'ws';
import type { Logger } from '../log.ts';
import { TransportError } from './errors.ts';
import type { ConnectionTarget } from './registry-http.ts';
import type { FramePayload } from './watch-frame.ts';

/** The server answered the upgrade with an HTTP status instead of switching protocols. */
export class WatchUpgradeRefusedError extends Error {
  override readonly name = 'WatchUpgradeRefusedError';
  readonly status: number;
  constructor(status: number) {
    super(`watch upgrade refused: HTTP ${status}`);
    this.status = status;
  }
}

export interface WatchSocketOptions {
  target: ConnectionTarget;
  /** path from the address, e.g. /v4/default/registry/microservices/{id}/watcher */
  path: string;
  handshakeTimeoutMs: number;
  /** a pong (or any frame) must come before the next ping, or the socket is dropped */
  pingIntervalMs: number;
  /** every data frame, from the handshake on (the server may say "service does not exist" at once) */
  onFrame: (socket: WatchSocket, data: FramePayload, isBinary: boolean) => void;
  /** the socket closed after it had opened (by either side, or dropped for a missing pong) */
  onClose: (socket: WatchSocket, code: number) => void;
  logger: Logger;
}

export class WatchSocket {
  readonly url: string;
  readonly #ws: WebSocket;
  readonly #options: WatchSocketOptions;
  #pingTimer: NodeJS.Timeout | undefined;
  #awaitingPong = false;

  private constructor(options: WatchSocketOptions) {
    this.#options = options;
    const { target } = options;
    this.url = `${target.address.replace(/^http/, 'ws')}${options.path}`;
    this.#ws = new WebSocket(this.url, {
      headers: { ...target.headers },
      handshakeTimeout: options.handshakeTimeoutMs,
      rejectUnauthorized: target.tls.rejectUnauthorized !== false,
      ...(target.tls.ca === undefined ? {} : { ca: target.tls.ca }),
      ...(target.tls.cert === undefined ? {} : { cert: target.tls.cert }),
      ...(target.tls.key === undefined ? {} : { key: target.tls.key }),
      ...(target.tls.servername === undefined ? {} : { servername: target.tls.servername }),
    });
    this.#ws.on('message', (data, isBinary) => {
      // any frame shows the connection is alive
      this.#awaitingPong = false;
      options.onFrame(this, data, isBinary);
    });
    // always listened to: ws emits 'error' (e.g. when a refused handshake is cut) and an
    // unheard 'error' would crash the process
    this.#ws.on('error', (error) => options.logger.debug({ err: error }, 'watch socket error'));
  }

  /**
   * Opens a socket. Rejects with WatchUpgradeRefusedError when the server answers with a
   * status, with a TransportError when it cannot be reached or the handshake is cut, and
   * with the signal's reason when aborted (the half-open socket is cut then).
   */
  static async open(options: WatchSocketOptions, signal: AbortSignal): Promise<WatchSocket> {
    signal.throwIfAborted();
    const socket = new WatchSocket(options);
    await socket.#handshake(signal);
    socket.#afterOpen();
    return socket;
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Drops the connection without a close frame; onClose still follows. */
  terminate(): void {
    clearInterval(this.#pingTimer);
    this.#ws.terminate();
  }

  /** A close frame, then at most a second for the server's answer before the socket is cut. */
  close(): Promise<void> {
    clearInterval(this.#pingTimer);
    const ws = this.#ws;
    if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1_000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'watcher stopping');
    });
  }

  #handshake(signal: AbortSignal): Promise<void> {
    const ws = this.#ws;
    const address = this.#options.target.address;
    return new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => {
        cleanup();
        reject(error);
      };
      const onOpen = (): void => {
        cleanup();
        resolve();
      };
      const onError = (error: NodeJS.ErrnoException): void => fail(new TransportError(`watch socket to ${address}: ${error.message}`, address, error.code, false, error));
      const onResponse = (_req: unknown, res: { statusCode?: number; resume(): void }): void => {
        res.resume();
        fail(new WatchUpgradeRefusedError(res.statusCode ?? 0));
        ws.terminate();
      };
      const onClose = (code: number): void => fail(new TransportError(`watch socket to ${address} closed during the handshake (${code})`, address, 'ECLOSED', false));
      const onAbort = (): void => {
        fail(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        ws.terminate();
      };
      const cleanup = (): void => {
        ws.off('open', onOpen);
        ws.off('error', onError);
        ws.off('unexpected-response', onResponse);
        ws.off('close', onClose);
        signal.removeEventListener('abort', onAbort);
      };
      ws.on('open', onOpen);
      ws.on('error', onError);
      ws.on('unexpected-response', onResponse);
      ws.on('close', onClose);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #afterOpen(): void {
    const ws = this.#ws;
    ws.on('close', (code) => {
      clearInterval(this.#pingTimer);
      this.#options.onClose(this, code);
    });
    ws.on('pong', () => {
      this.#awaitingPong = false;
    });
    // Our own pings make the server stop its pings and keep its read deadline moving;
    // a missing pong within one interval means the connection is dead.
    this.#pingTimer = setInterval(() => {
      if (this.#awaitingPong) {
        this.#options.logger.warn('watch socket: no pong, dropping it');
        ws.terminate();
        return;
      }
      this.#awaitingPong = true;
      ws.ping();
    }, this.#options.pingIntervalMs);
  }
}
