import { describe, it, expect } from '@jest/globals';
import { exportToFor, exportToProblems, parseAppSelector, routingExportTo } from './export-to.ts';

/** `null`: the namespace is not known (a default parameter would swallow undefined) */
const problems = (list: string[], namespace: string | null = 'sc2mesh'): string[] => exportToProblems(list, namespace ?? undefined).map((p) => `${p.index ?? '-'}: ${p.message}`);

describe("exportToProblems: Istio's rules", () => {
  it.each([[['.']], [['*']], [['~']], [['shop-web']], [['.', 'istio-system']], [['a', 'b', 'c']], [['x'.repeat(63)]]])('accepts %j', (list) => {
    expect(problems(list)).toEqual([]);
  });

  it('accepts "." beside other namespaces, as Istio does', () => {
    expect(problems(['.', 'shop-web'])).toEqual([]);
  });

  it.each([
    [['*', 'shop'], '0: "*" (every namespace) cannot be combined with other values'],
    [['shop', '~'], '1: "~" (no namespace) cannot be combined with other values'],
    [['Shop'], '0: must be ".", "*", "~" or a namespace name'],
    [['shop_web'], '0: must be ".", "*", "~" or a namespace name'],
    [['-shop'], '0: must be ".", "*", "~" or a namespace name'],
    [[''], '0: must be ".", "*", "~" or a namespace name'],
    [['x'.repeat(64)], '0: must be ".", "*", "~" or a namespace name'],
    [['a', 'b', 'a'], '2: repeats entry 0'],
    [['.', '.'], '1: repeats entry 0'],
    [['.', 'sc2mesh'], '1: repeats entry 0 ("." is the objects\' own namespace, "sc2mesh")'],
    [['sc2mesh', '.'], '1: repeats entry 0 ("." is the objects\' own namespace, "sc2mesh")'],
  ])('refuses %j', (list, message) => {
    expect(problems(list)[0]).toContain(message);
  });

  it('leaves "." against the namespace unchecked when the namespace is not known yet', () => {
    expect(problems(['.', 'sc2mesh'], null)).toEqual([]);
    expect(problems(['.', '.'], null)).toEqual(['1: repeats entry 0']);
  });
});

describe('parseAppSelector', () => {
  it('reads "app" and "environment/app"', () => {
    expect(parseAppSelector('shop')).toEqual({ environment: undefined, appId: 'shop' });
    expect(parseAppSelector('production/shop')).toEqual({ environment: 'production', appId: 'shop' });
    expect(parseAppSelector('My_App.v2-x')).toEqual({ environment: undefined, appId: 'My_App.v2-x' });
  });

  it.each([
    ['a/b/c', 'one "/" at most'],
    ['/shop', 'empty environment'],
    ['production/', 'app must be'],
    ['', 'app must be'],
    ['my shop', 'app must be'],
    ['prod env/shop', 'environment must be'],
    ['_shop', 'app must be'],
  ])('refuses %j', (key, message) => {
    expect(parseAppSelector(key)).toEqual(expect.stringContaining(message));
  });
});

describe('exportToFor', () => {
  const settings = { exportTo: ['istio-system'], exportToByApp: { shop: ['shop-web'], 'production/shop': ['.'], bank: ['~'] } };

  it('prefers environment/app, then app, then the global default', () => {
    expect(exportToFor(settings, { environment: 'production', appId: 'shop', serviceName: 'orders' })).toEqual(['.']);
    expect(exportToFor(settings, { environment: 'testing', appId: 'shop', serviceName: 'orders' })).toEqual(['shop-web']);
    expect(exportToFor(settings, { environment: '', appId: 'shop', serviceName: 'orders' })).toEqual(['shop-web']);
    expect(exportToFor(settings, { environment: '', appId: 'crm', serviceName: 'orders' })).toEqual(['istio-system']);
    expect(exportToFor({ exportTo: undefined, exportToByApp: {} }, { environment: '', appId: 'crm', serviceName: 'x' })).toBeUndefined();
  });

  it('matches the app exactly, case included, as service-center does', () => {
    expect(exportToFor(settings, { environment: '', appId: 'Shop', serviceName: 'orders' })).toEqual(['istio-system']);
  });
});

describe('routingExportTo', () => {
  it('keeps the ServiceEntry list, but a rule may not carry "~": it gets its own namespace', () => {
    expect(routingExportTo(undefined)).toBeUndefined();
    expect(routingExportTo(['shop-web', '.'])).toEqual(['shop-web', '.']);
    expect(routingExportTo(['*'])).toEqual(['*']);
    expect(routingExportTo(['~'])).toEqual(['.']);
  });
});
