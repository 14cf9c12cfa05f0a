import { describe, it, expect } from '@jest/globals';
import { sidecarClashes, type LiveSidecar } from './sidecar-clash.ts';
import { renderSidecar } from './sidecar.ts';
import { DEFAULT_RENDER_OPTIONS } from './options.ts';
import type { Sidecar } from '../model/istio.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, SOURCE_LABEL } from '../model/ownership.ts';

const OPTIONS = { source: 'registry-a', extraLabels: {}, nameTemplate: DEFAULT_RENDER_OPTIONS.nameTemplate };

function sidecar(serviceName: string, labels: Record<string, string>, namespace = 'shop'): Sidecar {
  const result = renderSidecar({ consumer: { environment: '', appId: 'shop', serviceName }, namespace, workloadLabels: labels, providerHosts: [], alwaysHosts: ['istio-system/*'] }, OPTIONS);
  if (!result.ok) throw new Error(result.reason);
  return result.sidecar;
}

function live(name: string, spec: unknown, labels: Record<string, string> = { team: 'payments' }, namespace = 'shop'): LiveSidecar {
  return { meta: { name, namespace, labels }, spec };
}

describe('sidecarClashes', () => {
  const cart = sidecar('cart', { app: 'cart' });
  const key = `Sidecar/shop/${cart.metadata.name}`;

  it('refuses a Sidecar whose selector equals a foreign one in its namespace', () => {
    const clashes = sidecarClashes([cart], [live('theirs', { workloadSelector: { labels: { app: 'cart' } } })], 'registry-a');
    expect(clashes).toEqual([
      { key, with: 'Sidecar/shop/theirs', reason: `${key} (app=cart) has the same workload selector as Sidecar/shop/theirs (app=cart), which sc2mesh does not own; Istio's choice between them is undefined, so it is not written` },
    ]);
  });

  it('refuses one whose selector is a subset or superset of a foreign one, and not one that only might overlap', () => {
    const narrower = live('narrower', { workloadSelector: { labels: { app: 'cart', version: 'v2' } } });
    const unrelated = live('unrelated', { workloadSelector: { labels: { app: 'orders' } } });
    const sideways = live('sideways', { workloadSelector: { labels: { tier: 'web' } } });
    const clashes = sidecarClashes([cart], [narrower, unrelated, sideways], 'registry-a');
    expect(clashes.map((c) => [c.with, c.reason.includes('a subset of the same workloads')])).toEqual([['Sidecar/shop/narrower', true]]);
  });

  it('ignores the namespace default, other namespaces, unreadable specs and its own earlier writes', () => {
    const own = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SOURCE_LABEL]: 'registry-a' };
    const others = [
      live('default', { egress: [{ hosts: ['./*'] }] }),
      live('empty-selector', { workloadSelector: { labels: {} } }),
      live('elsewhere', { workloadSelector: { labels: { app: 'cart' } } }, {}, 'billing'),
      live('garbled', { workloadSelector: 'app=cart' }),
      live(cart.metadata.name, { workloadSelector: { labels: { app: 'cart' } } }, own),
    ];
    expect(sidecarClashes([cart], others, 'registry-a')).toEqual([]);
    // Another deployment's Sidecar is not ours.
    const otherSource = live('other-source', { workloadSelector: { labels: { app: 'cart' } } }, { ...own, [SOURCE_LABEL]: 'registry-b' });
    expect(sidecarClashes([cart], [otherSource], 'registry-a').map((c) => c.with)).toEqual(['Sidecar/shop/other-source']);
  });

  it('refuses both of two desired Sidecars that select the same workloads, and keeps the rest', () => {
    const twin = sidecar('cart-v2', { app: 'cart' });
    const orders = sidecar('orders', { app: 'orders' });
    const elsewhere = sidecar('cart-elsewhere', { app: 'cart' }, 'billing');
    const clashes = sidecarClashes([cart, twin, orders, elsewhere], [], 'registry-a');
    expect(clashes.map((c) => c.key).sort()).toEqual([key, `Sidecar/shop/${twin.metadata.name}`].sort());
    expect(clashes[0]?.reason).toContain("both sc2mesh's, for two consumers");
  });
});
