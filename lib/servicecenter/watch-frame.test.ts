import { describe, it, expect } from '@jest/globals';
import { decodeFrame } from './watch-frame.ts';

const event = { action: 'UPDATE', key: { tenant: 'default/default', appId: 'shop', serviceName: 'cart', version: '1.0.0' }, instance: { instanceId: 'i1', serviceId: 's1', status: 'DOWN' } };

describe('decodeFrame', () => {
  it('decodes an event from every payload shape ws hands over', () => {
    const text = JSON.stringify(event);
    const half = Buffer.from(text.slice(0, 10));
    const rest = Buffer.from(text.slice(10));
    const bytes = Buffer.from(text);
    const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    for (const payload of [text, bytes, [half, rest], arrayBuffer]) {
      const frame = decodeFrame(payload, false);
      expect(frame).toEqual({ kind: 'event', event: expect.objectContaining({ action: 'UPDATE', key: expect.objectContaining({ serviceName: 'cart' }), instance: expect.objectContaining({ instanceId: 'i1', status: 'DOWN' }) }) });
    }
  });

  it('tells empty frames and the registry\'s "service does not exist" apart from events', () => {
    expect(decodeFrame('', false)).toEqual({ kind: 'empty' });
    expect(decodeFrame(' \n', false)).toEqual({ kind: 'empty' });
    expect(decodeFrame('Service does not exist\n', false)).toEqual({ kind: 'consumer-gone' });
  });

  it('reports malformed frames with a reason instead of throwing', () => {
    const cases: [Buffer | string, boolean, string][] = [
      [Buffer.from([0xde, 0xad]), true, 'binary frame'],
      ['this is not json', false, 'not JSON: "this is not json"'],
      ['{"action":', false, 'not JSON'],
      [JSON.stringify({ ...event, action: 'EXPLODE' }), false, 'not an event: event.action'],
      [JSON.stringify({ ...event, instance: {} }), false, 'not an event: event.instance.instanceId'],
      ['null', false, 'not an event'],
      ['[1,2]', false, 'not an event'],
    ];
    for (const [payload, binary, reason] of cases) {
      const frame = decodeFrame(payload, binary);
      expect(frame.kind).toBe('malformed');
      expect(frame.kind === 'malformed' ? frame.reason : '').toContain(reason);
    }
  });
});
