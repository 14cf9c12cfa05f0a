// Fault injection: what a client meets on the way to a real API server under load or in
// an outage — latency, 429 with Retry-After (API priority and fairness), 5xx from the
// server or a load balancer, and connections reset mid-request. Faults are drawn from a
// seeded generator so a failing test replays the same way.
// One seeded generator for all test support, so a seed means the same everywhere.
import { seededRandom } from '../registry-generator.ts';

export type InjectedError = 429 | 500 | 502 | 503 | 504 | 'reset';

export interface FaultSpec {
  /** which requests; default: every resource request (discovery is never faulted unless `discovery`) */
  methods?: readonly string[];
  /** resource plural, e.g. `serviceentries` */
  resource?: string;
  /** also fault /version, /api, /apis… */
  discovery?: boolean;
  /** share of matching requests affected, 0..1; default 1 */
  rate?: number;
  /** affect at most this many requests, then stay inert */
  count?: number;
  /** added before answering */
  latencyMs?: number;
  /** the error to answer with; one of a list is drawn at random */
  error?: InjectedError | readonly InjectedError[];
  /** Retry-After on 429 (default 1) and, when set, on 503 */
  retryAfterSeconds?: number;
  /** let the request take effect first, then lose the answer (the client cannot know it worked) */
  afterEffect?: boolean;
}

export interface RequestFacts {
  method: string;
  resource: string | undefined;
  discovery: boolean;
}

export interface FaultDecision {
  latencyMs: number;
  error: InjectedError | undefined;
  retryAfterSeconds: number | undefined;
  afterEffect: boolean;
}

export { seededRandom };

interface ActiveFault {
  spec: FaultSpec;
  used: number;
}

export class FaultInjector {
  #faults: ActiveFault[] = [];
  readonly #random: () => number;

  constructor(seed = 1) {
    this.#random = seededRandom(seed);
  }

  inject(spec: FaultSpec): void {
    const rate = spec.rate ?? 1;
    if (!(rate >= 0 && rate <= 1)) throw new Error(`fault rate must be within 0..1 (got ${rate})`);
    this.#faults.push({ spec, used: 0 });
  }

  clear(): void {
    this.#faults = [];
  }

  decide(req: RequestFacts): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, error: undefined, retryAfterSeconds: undefined, afterEffect: false };
    for (const f of this.#faults) {
      const { spec } = f;
      if (req.discovery && spec.discovery !== true) continue;
      if (spec.methods !== undefined && !spec.methods.includes(req.method)) continue;
      if (spec.resource !== undefined && spec.resource !== req.resource) continue;
      if (spec.count !== undefined && f.used >= spec.count) continue;
      if (this.#random() >= (spec.rate ?? 1)) continue;
      f.used++;
      decision.latencyMs += spec.latencyMs ?? 0;
      if (decision.error === undefined && spec.error !== undefined) {
        const choices: readonly InjectedError[] = Array.isArray(spec.error) ? spec.error : [spec.error as InjectedError];
        decision.error = choices[Math.floor(this.#random() * choices.length)];
        decision.afterEffect = spec.afterEffect === true;
        if (decision.error === 429) decision.retryAfterSeconds = spec.retryAfterSeconds ?? 1;
        else if (decision.error === 503) decision.retryAfterSeconds = spec.retryAfterSeconds;
      }
    }
    return decision;
  }
}
