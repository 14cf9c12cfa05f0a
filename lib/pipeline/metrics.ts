// What an operator watches: objects written and deleted, skipped services, conflicts,
// push latency, queue age. Counters live in memory; the watcher and the local runner
// serve them as Prometheus text on /metrics (cumulative, as Prometheus expects). The Lambda
// functions give each invocation a fresh instance and publish it as CloudWatch EMF
// (lib/metrics/emf.ts); the watcher publishes its interval's deltas.

export type CounterName =
  | 'objects_applied'
  | 'objects_deleted'
  | 'objects_unchanged'
  | 'services_pushed'
  | 'services_skipped'
  | 'instances_skipped'
  | 'services_failed'
  | 'services_removed'
  | 'conflicts'
  | 'drift_repaired'
  | 'syncs'
  | 'sync_dirty_services'
  | 'registry_unavailable'
  | 'governance_unavailable'
  | 'deletions_refused'
  | 'messages_invalid'
  | 'watch_events';

const HELP: Record<CounterName, string> = {
  objects_applied: 'Istio objects written to the cluster',
  objects_deleted: 'Istio objects deleted from the cluster',
  objects_unchanged: 'desired objects whose content hash had not changed (no write)',
  services_pushed: 'services whose objects were converged by a push',
  services_skipped: 'services skipped for bad registry data',
  instances_skipped: 'instances not published for bad registry data (a bad endpoint); the service\'s others are',
  services_failed: 'service pushes that failed and will be retried',
  services_removed: 'services gone from the registry whose objects were removed',
  conflicts: 'objects not written because a same-named object lacks sc2mesh ownership marks',
  drift_repaired: 'objects repaired after a hand edit or deletion in the cluster',
  syncs: 'registry listings compared with state',
  sync_dirty_services: 'services a sync found changed',
  registry_unavailable: 'runs that could not read the registry (nothing deleted)',
  governance_unavailable: 'runs that could not read the governance rules (nothing written or deleted for governance)',
  deletions_refused: 'runs refused by the mass-deletion guard',
  messages_invalid: 'queue messages that failed validation (sent to the dead-letter queue)',
  watch_events: 'registry watch events received',
};

export class PipelineMetrics {
  readonly counters = new Map<CounterName, number>();
  /** push latency: first event of a debounce cycle → objects written, ms */
  readonly pushLatencyMs: number[] = [];
  /** governance rules the last sync found mapped for no service (refused ones included); undefined until one ran with governance on */
  governanceRulesNotMapped: number | undefined;
  #lastQueueAgeMs = 0;
  #queueAgeObserved = false;

  /** age of the oldest event in a received queue message, ms */
  get lastQueueAgeMs(): number {
    return this.#lastQueueAgeMs;
  }

  set lastQueueAgeMs(ms: number) {
    this.#lastQueueAgeMs = ms;
    this.#queueAgeObserved = true;
  }

  /** An age of 0 and no message at all look alike otherwise; CloudWatch must see only the former. */
  get queueAgeObserved(): boolean {
    return this.#queueAgeObserved;
  }

  add(name: CounterName, by = 1): void {
    if (by !== 0) this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  get(name: CounterName): number {
    return this.counters.get(name) ?? 0;
  }

  observeLatency(ms: number): void {
    this.pushLatencyMs.push(ms);
    // Keep the newest 1,000 for percentiles; older figures have been exported already.
    if (this.pushLatencyMs.length > 1000) this.pushLatencyMs.splice(0, this.pushLatencyMs.length - 1000);
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.counters) out[k] = v;
    out['queue_age_ms'] = this.lastQueueAgeMs;
    if (this.governanceRulesNotMapped !== undefined) out['governance_rules_not_mapped'] = this.governanceRulesNotMapped;
    const p = percentile(this.pushLatencyMs, 0.99);
    if (p !== undefined) out['push_latency_p99_ms'] = p;
    return out;
  }

  /** Prometheus text exposition format. */
  toPrometheus(extra: Record<string, number> = {}): string {
    const lines: string[] = [];
    for (const name of Object.keys(HELP) as CounterName[]) {
      lines.push(`# HELP sc2mesh_${name}_total ${HELP[name]}`, `# TYPE sc2mesh_${name}_total counter`, `sc2mesh_${name}_total ${this.get(name)}`);
    }
    lines.push('# HELP sc2mesh_queue_age_ms age of the oldest event in the last queue message', '# TYPE sc2mesh_queue_age_ms gauge', `sc2mesh_queue_age_ms ${this.lastQueueAgeMs}`);
    lines.push('# HELP sc2mesh_push_latency_ms first event to objects written', '# TYPE sc2mesh_push_latency_ms summary');
    for (const q of [0.5, 0.99]) {
      const v = percentile(this.pushLatencyMs, q);
      if (v !== undefined) lines.push(`sc2mesh_push_latency_ms{quantile="${q}"} ${v}`);
    }
    lines.push(`sc2mesh_push_latency_ms_count ${this.pushLatencyMs.length}`);
    if (this.governanceRulesNotMapped !== undefined) {
      lines.push('# HELP sc2mesh_governance_rules_not_mapped governance rules the last sync mapped for no service', '# TYPE sc2mesh_governance_rules_not_mapped gauge', `sc2mesh_governance_rules_not_mapped ${this.governanceRulesNotMapped}`);
    }
    for (const [k, v] of Object.entries(extra)) lines.push(`# TYPE sc2mesh_${k} gauge`, `sc2mesh_${k} ${v}`);
    return `${lines.join('\n')}\n`;
  }
}

export function percentile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
