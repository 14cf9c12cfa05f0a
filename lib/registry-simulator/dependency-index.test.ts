import { describe, expect, it } from '@jest/globals';
import { DependencyIndex } from './dependency-index.ts';

describe('DependencyIndex', () => {
  it('keeps both directions in step through add, replace and removals', () => {
    const index = new DependencyIndex();
    index.add('web', '/shop/cart');
    index.add('web', '/shop/pay');
    index.add('admin', '/shop/cart');
    expect(index.providerNamesOf('web')).toEqual(['/shop/cart', '/shop/pay']);
    expect([...index.consumersOf('/shop/cart')]).toEqual(['web', 'admin']);

    index.replace('web', ['/shop/pay']);
    expect(index.has('web', '/shop/cart')).toBe(false);
    expect([...index.consumersOf('/shop/cart')]).toEqual(['admin']);

    index.removeProviderName('/shop/cart');
    expect(index.providerNamesOf('admin')).toEqual([]);
    expect(index.providerNames()).toEqual(['/shop/pay']);

    index.removeConsumer('web');
    expect(index.providerNames()).toEqual([]);
    expect(index.consumersOf('/shop/pay').size).toBe(0);
  });
});
