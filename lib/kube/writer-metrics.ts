// Counters of what the writer did to the cluster, for logs, the metrics endpoint and
// tests ("the second run wrote nothing").

export interface WriterMetrics {
  /** HTTP requests sent, retries included */
  requests: number;
  /** server-side applies sent (dry runs included) */
  applies: number;
  created: number;
  updated: number;
  /** desired objects that needed no write (hash matched, or the apply changed nothing) */
  unchanged: number;
  deletes: number;
  /** same-named objects without our marks, and field-manager conflicts */
  conflicts: number;
  failures: number;
  gets: number;
  listPages: number;
  retries: number;
  retriesByReason: Record<string, number>;
  /** re-reads after an optimistic-lock conflict (our resourceVersion was stale) */
  refreshes: number;
  throttledWaits: number;
  throttledMs: number;
  /** request body bytes */
  bytesSent: number;
}

export function emptyWriterMetrics(): WriterMetrics {
  return {
    requests: 0,
    applies: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    deletes: 0,
    conflicts: 0,
    failures: 0,
    gets: 0,
    listPages: 0,
    retries: 0,
    retriesByReason: {},
    refreshes: 0,
    throttledWaits: 0,
    throttledMs: 0,
    bytesSent: 0,
  };
}
