// Turns watch-client events into "service dirty" marks. Events carry no authority (the push
// re-reads the registry), so only the service key matters; a resync-needed means events
// may have been lost and the whole registry is compared again.
import type { WatchClientEvent } from '../servicecenter/index.ts';
import { serviceKeyOf } from '../names/service-names.ts';
import type { PipelineMetrics } from '../pipeline/metrics.ts';

export interface DirtySink {
  /** these services may have changed */
  dirty(keys: readonly string[]): void;
  /** events of this app may have been lost */
  resync(appId: string, environment: string, reason: string): void;
}

export function watchEventHandler(sink: DirtySink, metrics: PipelineMetrics): (event: WatchClientEvent) => void {
  return (event) => {
    if (event.type === 'resync-needed') {
      sink.resync(event.appId, event.environment, event.reason);
      return;
    }
    metrics.add('watch_events');
    sink.dirty([serviceKeyOf({ environment: event.environment, appId: event.appId, serviceName: event.serviceName })]);
  };
}
