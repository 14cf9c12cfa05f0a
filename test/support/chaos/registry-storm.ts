// A seeded storm of registry changes for the resilience suite: services spread over a
// few apps, instances registered, deregistered and switched UP/DOWN, services added and
// removed. Changes go straight into the simulator's store (the registry side of the test
// never fails); the same seed gives the same sequence of changes, so a failing scenario
// replays with the same registry history.
import type { RegistrySimulator } from '../../../lib/registry-simulator/simulator.ts';
import { seededRandom } from '../registry-generator.ts';
import { serviceKeyOf } from '../../../lib/names/service-names.ts';

export interface StormInstance {
  instanceId: string;
  status: 'UP' | 'DOWN';
}

export interface StormService {
  serviceId: string;
  appId: string;
  serviceName: string;
  version: string;
  /** the pipeline's service key (environment/appId/serviceName) */
  key: string;
  instances: StormInstance[];
  /** never changed by the storm (tests hang fixed facts on it, e.g. foreign objects) */
  pinned: boolean;
}

export type StormOpKind = 'register' | 'deregister' | 'status' | 'add-service' | 'add-version' | 'remove-service';

export interface StormOp {
  kind: StormOpKind;
  key: string;
}

export interface StormCounts {
  register: number;
  deregister: number;
  status: number;
  'add-service': number;
  'add-version': number;
  'remove-service': number;
}

export interface SeedOptions {
  services: number;
  instancesPerService: number;
  /** the first this many services are pinned (default 1) */
  pinned?: number;
}

export interface RunOptions {
  events: number;
  /** events per burst; the storm yields to the event loop between bursts (default 10) */
  burst?: number;
  /** pause between bursts (default 10 ms) */
  pauseMs?: number;
  /** run before the event with this index (0-based): faults, restarts… */
  at?: Readonly<Record<number, () => unknown>>;
}

const APPS = ['shop', 'bank', 'media'] as const;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class RegistryStorm {
  readonly services: StormService[] = [];
  readonly counts: StormCounts = { register: 0, deregister: 0, status: 0, 'add-service': 0, 'add-version': 0, 'remove-service': 0 };
  readonly #sim: RegistrySimulator;
  readonly #random: () => number;
  #ip = 0;
  #names = 0;
  #pinned = 0;

  constructor(sim: RegistrySimulator, seed: number) {
    this.#sim = sim;
    this.#random = seededRandom(seed);
  }

  /** Registers the initial services, each with `instancesPerService` UP instances. */
  seed(options: SeedOptions): void {
    this.#pinned = options.pinned ?? 1;
    for (let i = 0; i < options.services; i++) {
      const s = this.#addService(APPS[i % APPS.length] as string, `svc-${this.#names++}`, '1.0.0');
      s.pinned = i < this.#pinned;
      for (let k = 0; k < options.instancesPerService; k++) this.#register(s);
    }
  }

  /** Service keys the storm has ever touched or created, pinned ones included. */
  keys(): string[] {
    return [...new Set(this.services.map((s) => s.key))].sort();
  }

  pinnedServices(): StormService[] {
    return this.services.filter((s) => s.pinned);
  }

  /** One random change; returns what it did. */
  step(): StormOp {
    const r = this.#random();
    const live = this.services.filter((s) => !s.pinned);
    if (live.length === 0 || r < 0.04) {
      const s = this.#addService(this.#pick(APPS), `svc-${this.#names++}`, '1.0.0');
      this.#register(s);
      this.counts['add-service']++;
      return { kind: 'add-service', key: s.key };
    }
    const target = this.#pick(live);
    if (r < 0.07) {
      // a second version joins the same ServiceEntry
      const version = `1.${1 + Math.floor(this.#random() * 8)}.0`;
      const s = this.#addService(target.appId, target.serviceName, version);
      if (s.instances.length === 0) this.#register(s);
      this.counts['add-version']++;
      return { kind: 'add-version', key: s.key };
    }
    if (r < 0.1 && live.length > 10) {
      this.#sim.unregisterService(target.serviceId, { force: true });
      this.services.splice(this.services.indexOf(target), 1);
      this.counts['remove-service']++;
      return { kind: 'remove-service', key: target.key };
    }
    if (r < 0.45 || target.instances.length === 0) {
      this.#register(target);
      this.counts.register++;
      return { kind: 'register', key: target.key };
    }
    const instance = this.#pick(target.instances);
    if (r < 0.7) {
      this.#sim.unregisterInstance(target.serviceId, instance.instanceId);
      target.instances.splice(target.instances.indexOf(instance), 1);
      this.counts.deregister++;
      return { kind: 'deregister', key: target.key };
    }
    instance.status = instance.status === 'UP' ? 'DOWN' : 'UP';
    this.#sim.setInstanceStatus(target.serviceId, instance.instanceId, instance.status);
    this.counts.status++;
    return { kind: 'status', key: target.key };
  }

  /** `events` changes in bursts, with the `at` hooks run (and awaited) at their indexes. */
  async run(options: RunOptions): Promise<StormOp[]> {
    const burst = options.burst ?? 10;
    const ops: StormOp[] = [];
    for (let i = 0; i < options.events; i++) {
      const hook = options.at?.[i];
      if (hook !== undefined) await hook();
      ops.push(this.step());
      if ((i + 1) % burst === 0) await sleep(options.pauseMs ?? 10);
    }
    return ops;
  }

  /** Registers one more UP instance on the service with this key (a deterministic change for tests). */
  registerOn(key: string): void {
    const s = this.#byKey(key);
    this.#register(s);
  }

  /** Deregisters the service's first instance. */
  deregisterOn(key: string): void {
    const s = this.#byKey(key);
    const instance = s.instances[0];
    if (instance === undefined) throw new Error(`storm: ${key} has no instance to deregister`);
    this.#sim.unregisterInstance(s.serviceId, instance.instanceId);
    s.instances.shift();
  }

  /** Sets the service's first UP instance DOWN. */
  downOn(key: string): void {
    const s = this.#byKey(key);
    const instance = s.instances.find((i) => i.status === 'UP');
    if (instance === undefined) throw new Error(`storm: ${key} has no UP instance`);
    instance.status = 'DOWN';
    this.#sim.setInstanceStatus(s.serviceId, instance.instanceId, 'DOWN');
  }

  /** Removes every version of the service. */
  removeService(key: string): void {
    for (const s of this.services.filter((x) => x.key === key)) {
      this.#sim.unregisterService(s.serviceId, { force: true });
      this.services.splice(this.services.indexOf(s), 1);
    }
  }

  /** Adds a new service with `instances` UP instances; returns its key. */
  addService(instances: number): string {
    const s = this.#addService(this.#pick(APPS), `svc-${this.#names++}`, '1.0.0');
    for (let i = 0; i < instances; i++) this.#register(s);
    return s.key;
  }

  #byKey(key: string): StormService {
    const s = this.services.find((x) => x.key === key && !x.pinned);
    if (s === undefined) throw new Error(`storm: no unpinned service ${key}`);
    return s;
  }

  #pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.#random() * list.length)] as T;
  }

  #addService(appId: string, serviceName: string, version: string): StormService {
    const serviceId = this.#sim.registerService({ appId, serviceName, version });
    const existing = this.services.find((s) => s.serviceId === serviceId);
    if (existing !== undefined) return existing;
    const s: StormService = { serviceId, appId, serviceName, version, key: serviceKeyOf({ environment: '', appId, serviceName }), instances: [], pinned: false };
    this.services.push(s);
    return s;
  }

  #register(s: StormService): void {
    this.#ip++;
    const host = `10.${(this.#ip >> 16) & 255}.${(this.#ip >> 8) & 255}.${this.#ip & 255}`;
    const instanceId = this.#sim.registerInstance(s.serviceId, { hostName: `h-${this.#ip}`, endpoints: [`rest://${host}:8080`], status: 'UP' }, { keepAlive: true });
    s.instances.push({ instanceId, status: 'UP' });
  }
}
