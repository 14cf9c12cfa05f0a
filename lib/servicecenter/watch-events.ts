// What the watch client tells its listeners. Instance events come from the registry's
// socket; service events from the periodic listing (the registry has no service watch);
// resync-needed whenever events may have been lost, so the listener re-reads that app.
import type { Logger } from '../log.ts';
import type { MicroServiceInstance } from '../model/registry.ts';

export interface InstanceChange {
  type: 'instance-created' | 'instance-updated' | 'instance-deleted';
  appId: string;
  serviceName: string;
  version: string;
  environment: string;
  /** the instance's serviceId (one service per version); '' when the registry sent none */
  serviceId: string;
  instance: MicroServiceInstance;
}

/** A service (one version) seen in, or gone from, the listing. Its key only: the push reads the rest. */
export interface ServiceChange {
  type: 'service-added' | 'service-removed';
  appId: string;
  serviceName: string;
  version: string;
  environment: string;
  serviceId: string;
}

export type ResyncReason =
  /** the socket was lost and has been re-established */
  | 'reconnected'
  /** the watcher's consumer service vanished and was registered again */
  | 'consumer-missing'
  /** a revision check found instances the events had not reported */
  | 'missed-events';

export interface ResyncNeeded {
  type: 'resync-needed';
  appId: string;
  environment: string;
  reason: ResyncReason;
}

export type WatchClientEvent = InstanceChange | ServiceChange | ResyncNeeded;

export type WatchClientEventMap = {
  'instance-created': InstanceChange;
  'instance-updated': InstanceChange;
  'instance-deleted': InstanceChange;
  'service-added': ServiceChange;
  'service-removed': ServiceChange;
  'resync-needed': ResyncNeeded;
};

export type WatchEventType = keyof WatchClientEventMap;

type Listener<E> = (event: E) => void;

/** A small typed emitter: a listener that throws is logged and does not stop the others. */
export class WatchEventEmitter {
  readonly #byType = new Map<WatchEventType, Set<Listener<never>>>();
  readonly #any = new Set<Listener<WatchClientEvent>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Returns a function that removes the listener. */
  on<K extends WatchEventType>(type: K, listener: Listener<WatchClientEventMap[K]>): () => void {
    let set = this.#byType.get(type);
    if (set === undefined) this.#byType.set(type, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Every event, as the WatchClientEvent union. */
  onAny(listener: Listener<WatchClientEvent>): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  emit(event: WatchClientEvent): void {
    for (const listener of this.#byType.get(event.type) ?? []) this.#call(listener as Listener<WatchClientEvent>, event);
    for (const listener of this.#any) this.#call(listener, event);
  }

  #call(listener: Listener<WatchClientEvent>, event: WatchClientEvent): void {
    try {
      listener(event);
    } catch (error) {
      this.#logger.error({ err: error, type: event.type }, 'watch event listener failed');
    }
  }
}
