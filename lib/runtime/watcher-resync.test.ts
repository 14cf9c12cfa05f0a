import { describe, it, expect } from '@jest/globals';
import type { MicroService } from '../model/registry.ts';
import { createResyncCoalescer, keysOfApp, type AppRef } from './watcher-resync.ts';

let n = 0;
const svc = (appId: string, serviceName: string, version = '1.0.0', environment?: string): MicroService =>
  ({ serviceId: `id${++n}`, appId, serviceName, version, ...(environment === undefined ? {} : { environment }) }) as MicroService;

describe('keysOfApp', () => {
  it('gives one key per service name of that app and environment, every version folded, sorted', () => {
    const listing = [
      svc('shop', 'stock'),
      svc('shop', 'cart', '1.0.0'),
      svc('shop', 'cart', '2.0.0'),
      svc('shop', 'cart', '1.0.0', 'production'),
      svc('billing', 'ledger'),
      svc('shop', 'sc2mesh-watcher'),
    ];
    const watched = (s: MicroService): boolean => s.serviceName !== 'sc2mesh-watcher';
    expect(keysOfApp(listing, 'shop', '', watched)).toEqual(['/shop/cart', '/shop/stock']);
    expect(keysOfApp(listing, 'shop', 'production', watched)).toEqual(['production/shop/cart']);
    expect(keysOfApp(listing, 'billing', '', watched)).toEqual(['/billing/ledger']);
    expect(keysOfApp(listing, 'nowhere', '', watched)).toEqual([]);
  });

  it('encodes names as service keys do (a "/" in a name cannot split the key)', () => {
    expect(keysOfApp([svc('a/b', 'c d')], 'a/b', '', () => true)).toEqual(['/a%2Fb/c%20d']);
  });
});

describe('createResyncCoalescer', () => {
  function setup(listing: MicroService[]) {
    const lists: { resolve: (l: MicroService[]) => void; reject: (e: Error) => void }[] = [];
    const sent: { keys: string[]; apps: AppRef[] }[] = [];
    const errors: AppRef[][] = [];
    const coalescer = createResyncCoalescer({
      list: () => new Promise<MicroService[]>((resolve, reject) => lists.push({ resolve, reject })),
      isWatched: () => true,
      send: async (keys, apps) => {
        sent.push({ keys, apps: [...apps] });
      },
      onError: (_e, apps) => errors.push([...apps]),
    });
    const answer = async (i: number, error?: Error): Promise<void> => {
      for (let t = 0; t < 10 && lists[i] === undefined; t++) await Promise.resolve();
      const call = lists[i];
      if (call === undefined) throw new Error(`listing ${i} was never asked for`);
      if (error === undefined) call.resolve(listing);
      else call.reject(error);
    };
    return { coalescer, lists, sent, errors, answer };
  }
  const listing = [svc('shop', 'cart'), svc('shop', 'stock'), svc('billing', 'ledger'), svc('hr', 'staff')];

  it('serves requests made together with one listing and one message', async () => {
    const { coalescer, lists, sent, answer } = setup(listing);
    coalescer.request({ appId: 'shop', environment: '' });
    coalescer.request({ appId: 'billing', environment: '' });
    coalescer.request({ appId: 'shop', environment: '' });
    await answer(0);
    await coalescer.idle();
    expect(lists).toHaveLength(1);
    expect(sent).toEqual([{ keys: ['/billing/ledger', '/shop/cart', '/shop/stock'], apps: [{ appId: 'shop', environment: '' }, { appId: 'billing', environment: '' }] }]);
  });

  it('serves a request made during a listing with the next listing, not the running one', async () => {
    const { coalescer, lists, sent, answer } = setup(listing);
    coalescer.request({ appId: 'shop', environment: '' });
    for (let t = 0; t < 10 && lists.length === 0; t++) await Promise.resolve();
    expect(lists).toHaveLength(1);
    coalescer.request({ appId: 'hr', environment: '' });
    coalescer.request({ appId: 'billing', environment: '' });
    await answer(0);
    await answer(1);
    await coalescer.idle();
    expect(lists).toHaveLength(2);
    expect(sent.map((s) => s.keys)).toEqual([['/shop/cart', '/shop/stock'], ['/billing/ledger', '/hr/staff']]);
  });

  it('reports a failed listing with its apps and keeps serving later requests', async () => {
    const { coalescer, sent, errors, answer } = setup(listing);
    coalescer.request({ appId: 'shop', environment: '' });
    await answer(0, new Error('registry down'));
    await coalescer.idle();
    expect(errors).toEqual([[{ appId: 'shop', environment: '' }]]);
    expect(sent).toEqual([]);
    coalescer.request({ appId: 'hr', environment: '' });
    await answer(1);
    await coalescer.idle();
    expect(sent.map((s) => s.keys)).toEqual([['/hr/staff']]);
  });

  it('sends nothing for an app with no watched service left', async () => {
    const { coalescer, sent, answer } = setup(listing);
    coalescer.request({ appId: 'gone', environment: '' });
    await answer(0);
    await coalescer.idle();
    expect(sent).toEqual([]);
  });
});
