import { describe, it, expect } from '@jest/globals';
import type { MicroServiceInstance } from '../model/registry.ts';
import { ProviderRevisions, fingerprint } from './provider-revisions.ts';
import type { BatchFindResult } from './registry-client.ts';

const inst = (instanceId: string, status: MicroServiceInstance['status'] = 'UP'): MicroServiceInstance => ({ instanceId, serviceId: 's1', status });
const answer = (updated: BatchFindResult['updated'], failed: BatchFindResult['failed'] = []): BatchFindResult => ({ updated, notModified: [], failed });

describe('ProviderRevisions', () => {
  it('keeps the watched names and says which are new', () => {
    const p = new ProviderRevisions();
    expect(p.setNames(['cart', 'stock'])).toEqual(['cart', 'stock']);
    expect(p.setNames(['stock', 'search'])).toEqual(['search']);
    expect(p.names().sort()).toEqual(['search', 'stock']);
  });

  it('sends the last rev of each name, and forgets them when asked', () => {
    const p = new ProviderRevisions();
    p.setNames(['cart', 'stock']);
    p.applyFind(['cart', 'stock'], new Set(['cart', 'stock']), answer([{ index: 1, rev: 'r7', instances: [inst('a')] }]));
    expect(p.findKeys(['cart', 'stock'], 'shop', 'prod')).toEqual([
      { appId: 'shop', serviceName: 'cart', environment: 'prod', rev: '' },
      { appId: 'shop', serviceName: 'stock', environment: 'prod', rev: 'r7' },
    ]);
    p.forgetRevs();
    expect(p.findKeys(['stock'], 'shop', '')[0]?.rev).toBe('');
  });

  it('finds no drift when the events made what the next find answers', () => {
    const p = new ProviderRevisions();
    p.setNames(['cart']);
    p.applyFind(['cart'], new Set(['cart']), answer([{ index: 0, rev: 'r1', instances: [inst('a'), inst('b')] }]));
    p.applyEvent('UPDATE', 'cart', inst('a', 'DOWN'));
    p.applyEvent('DELETE', 'cart', inst('b'));
    p.applyEvent('CREATE', 'cart', inst('c'));
    expect(p.applyFind(['cart'], new Set(), answer([{ index: 0, rev: 'r4', instances: [inst('c'), inst('a', 'DOWN')] }])).drift).toBe(false);
    expect(p.instanceCount).toBe(2);
  });

  it('reports drift for a missed create, delete or update, but not for a fresh name', () => {
    for (const next of [[inst('a'), inst('b'), inst('x')], [inst('a')], [inst('a'), inst('b', 'DOWN')]]) {
      const p = new ProviderRevisions();
      p.setNames(['cart']);
      p.applyFind(['cart'], new Set(['cart']), answer([{ index: 0, rev: 'r1', instances: [inst('a'), inst('b')] }]));
      expect(p.applyFind(['cart'], new Set(['cart']), answer([{ index: 0, rev: 'r2', instances: next }])).drift).toBe(false);
      p.applyFind(['cart'], new Set(['cart']), answer([{ index: 0, rev: 'r1', instances: [inst('a'), inst('b')] }]));
      expect(p.applyFind(['cart'], new Set(), answer([{ index: 0, rev: 'r2', instances: next }])).drift).toBe(true);
    }
  });

  it('forgets a provider the registry no longer knows, and reports each failed name', () => {
    const p = new ProviderRevisions();
    p.setNames(['cart', 'stock']);
    p.applyFind(['cart', 'stock'], new Set(['cart', 'stock']), answer([{ index: 0, rev: 'r1', instances: [inst('a')] }, { index: 1, rev: 'r1', instances: [inst('b')] }]));
    const outcome = p.applyFind(['cart', 'stock'], new Set(), answer([], [{ indexes: [0, 1], error: { errorCode: '400012', errorMessage: 'gone', detail: undefined } }]));
    expect(outcome.failed.map((f) => f.serviceName)).toEqual(['cart', 'stock']);
    expect(p.instanceCount).toBe(0);
    expect(p.findKeys(['cart'], 'shop', '')[0]?.rev).toBe('');
  });

  it('ignores events and answers for names it does not watch', () => {
    const p = new ProviderRevisions();
    p.setNames(['cart']);
    p.applyEvent('CREATE', 'other', inst('z'));
    expect(p.applyFind(['other'], new Set(), answer([{ index: 0, rev: 'r', instances: [inst('z')] }])).drift).toBe(false);
    expect(p.instanceCount).toBe(0);
  });

  it('fingerprints text stably, within 53 bits', () => {
    expect(fingerprint('abc')).toBe(fingerprint('abc'));
    expect(fingerprint('abc')).not.toBe(fingerprint('abd'));
    expect(Number.isSafeInteger(fingerprint('x'.repeat(1000)))).toBe(true);
  });
});
