import { describe, it, expect } from '@jest/globals';
import { silentLogger } from '../log.ts';
import { WatchEventEmitter, type WatchClientEvent } from './watch-events.ts';

describe('WatchEventEmitter', () => {
  const resync: WatchClientEvent = { type: 'resync-needed', appId: 'a', environment: '', reason: 'reconnected' };

  it('calls typed and catch-all listeners, and a throwing listener does not stop the others', () => {
    const emitter = new WatchEventEmitter(silentLogger);
    const seen: string[] = [];
    emitter.on('resync-needed', () => {
      throw new Error('listener bug');
    });
    const off = emitter.on('resync-needed', (e) => seen.push(`typed ${e.reason}`));
    emitter.on('service-added', () => seen.push('wrong type'));
    emitter.onAny((e) => seen.push(`any ${e.type}`));
    emitter.emit(resync);
    off();
    emitter.emit(resync);
    expect(seen).toEqual(['typed reconnected', 'any resync-needed', 'any resync-needed']);
  });
});
