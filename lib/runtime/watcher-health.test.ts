import { describe, it, expect } from '@jest/globals';
import { createWatcherHealth, type WatchSample } from './watcher-health.ts';

const socket = (appId: string, connected: boolean, environment = ''): WatchSample['sockets'][number] => ({ appId, environment, connected });
const sample = (fields: Partial<WatchSample> = {}): WatchSample => ({ started: true, sockets: [], listErrors: 0, ...fields });

describe('watcher health', () => {
  it('is 503 while starting and until a socket has opened once', () => {
    const h = createWatcherHealth({ graceMs: 60_000 });
    expect(h.check(sample({ started: false }), 0)).toMatchObject({ ok: false, details: { status: 'starting' } });
    expect(h.check(sample({ sockets: [socket('shop', false)] }), 1000)).toMatchObject({ ok: false, details: { status: 'connecting', disconnected: ['shop'] } });
    // never up: the grace does not apply, however long it has been
    expect(h.check(sample({ sockets: [socket('shop', false)] }), 90_000)).toMatchObject({ ok: false, details: { status: 'connecting', downForMs: 89_000 } });
    expect(h.check(sample({ sockets: [socket('shop', true), socket('billing', false, 'prod')] }), 91_000)).toEqual({
      ok: true,
      details: { status: 'watching', apps: 2, socketsOpen: 1, downForMs: 0, listErrors: 0, disconnected: ['billing (prod)'] },
    });
  });

  it('rides out a lost socket for the grace period, then reports 503 until one is open again', () => {
    const h = createWatcherHealth({ graceMs: 60_000 });
    h.check(sample({ sockets: [socket('shop', true)] }), 0);
    const down = sample({ sockets: [socket('shop', false)] });
    expect(h.check(down, 10_000)).toMatchObject({ ok: true, details: { status: 'reconnecting', downForMs: 0 } });
    expect(h.check(down, 70_000)).toMatchObject({ ok: true, details: { status: 'reconnecting', downForMs: 60_000 } });
    expect(h.check(down, 70_001)).toMatchObject({ ok: false, details: { status: 'disconnected', downForMs: 60_001 } });
    expect(h.check(sample({ sockets: [socket('shop', true)] }), 71_000)).toMatchObject({ ok: true, details: { status: 'watching', downForMs: 0 } });
    // a new outage is measured from its own start
    expect(h.check(down, 200_000)).toMatchObject({ ok: true, details: { downForMs: 0 } });
  });

  it('with nothing to watch, is healthy while the listing works and not while it keeps failing', () => {
    const h = createWatcherHealth({ graceMs: 60_000 });
    expect(h.check(sample(), 0)).toMatchObject({ ok: true, details: { status: 'idle', apps: 0 } });
    expect(h.check(sample({ listErrors: 1 }), 5_000)).toMatchObject({ ok: true, details: { status: 'reconnecting', listErrors: 1 } });
    expect(h.check(sample({ listErrors: 13 }), 65_001)).toMatchObject({ ok: false, details: { status: 'disconnected' } });
    // no new failure for a full grace period: the listing works again
    expect(h.check(sample({ listErrors: 13 }), 125_002)).toMatchObject({ ok: true, details: { status: 'idle' } });
  });

  it('does not count a first listing that failed as having been up', () => {
    const h = createWatcherHealth({ graceMs: 60_000 });
    expect(h.check(sample({ listErrors: 1 }), 0)).toMatchObject({ ok: false, details: { status: 'connecting' } });
  });
});
