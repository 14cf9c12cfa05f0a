// Fault injection for tests and demos. HTTP faults apply to requests in arrival
// order; watch faults to the sockets of the watch hub.

export interface FaultSpec {
  /** added before every HTTP answer, ms */
  latencyMs?: number;
  /** the next N HTTP requests (matching failPath) answer failStatus */
  failNext?: number;
  /** default 500 (errorCode "500011", backend unavailable) */
  failStatus?: number;
  /** only requests whose path contains this string are failed */
  failPath?: string;
  /** the next N HTTP requests get their connection destroyed without an answer */
  resetNext?: number;
  /** watcher upgrades are refused with 503 while true */
  refuseWatch?: boolean;
  /**
   * every watch frame waits delayMs before it is written, one after another; a socket
   * with more than maxQueue frames waiting is dropped, as a server drops a consumer
   * that cannot keep up. null switches it off.
   */
  slowConsumer?: { delayMs: number; maxQueue: number } | null;
  /** one-shot: drop every watcher socket now (no close frame) */
  dropSockets?: boolean;
}

export interface ActiveFaults {
  latencyMs: number;
  failNext: number;
  failStatus: number;
  failPath: string | undefined;
  resetNext: number;
  refuseWatch: boolean;
  slowConsumer: { delayMs: number; maxQueue: number } | null;
}

export function noFaults(): ActiveFaults {
  return { latencyMs: 0, failNext: 0, failStatus: 500, failPath: undefined, resetNext: 0, refuseWatch: false, slowConsumer: null };
}

export function mergeFaults(current: ActiveFaults, spec: FaultSpec): ActiveFaults {
  const next = { ...current };
  if (spec.latencyMs !== undefined) next.latencyMs = spec.latencyMs;
  if (spec.failNext !== undefined) next.failNext = spec.failNext;
  if (spec.failStatus !== undefined) {
    if (spec.failStatus < 500 || spec.failStatus > 599) throw new Error(`failStatus: expected 5xx (got ${spec.failStatus})`);
    next.failStatus = spec.failStatus;
  }
  if (spec.failPath !== undefined) next.failPath = spec.failPath;
  if (spec.resetNext !== undefined) next.resetNext = spec.resetNext;
  if (spec.refuseWatch !== undefined) next.refuseWatch = spec.refuseWatch;
  if (spec.slowConsumer !== undefined) next.slowConsumer = spec.slowConsumer;
  return next;
}
