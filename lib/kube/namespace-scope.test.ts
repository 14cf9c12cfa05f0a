import { describe, it, expect } from '@jest/globals';
import { namespaceScope } from './namespace-scope.ts';

describe('namespaceScope', () => {
  const scope = namespaceScope('sc2mesh', { Sidecar: ['shop', 'billing', 'shop'], EnvoyFilter: ['istio-system'] });

  it('keeps every kind it is not told about in the target namespace', () => {
    expect(scope.allowed('ServiceEntry')).toEqual(['sc2mesh']);
    expect(scope.refusal('ServiceEntry', 'sc2mesh')).toBeUndefined();
    expect(scope.refusal('ServiceEntry', 'shop')).toBe('namespace "shop" is not the target namespace "sc2mesh"');
  });

  it('allows a listed kind only in its own namespaces, naming them when it refuses', () => {
    expect(scope.allowed('Sidecar')).toEqual(['shop', 'billing']);
    expect(scope.refusal('Sidecar', 'billing')).toBeUndefined();
    expect(scope.refusal('Sidecar', 'sc2mesh')).toBe('Sidecar may not be written to namespace "sc2mesh" (allowed for Sidecar: "shop", "billing")');
    expect(scope.refusal('EnvoyFilter', 'shop')).toBe('EnvoyFilter may not be written to namespace "shop" (allowed for EnvoyFilter: "istio-system")');
    expect(namespaceScope('sc2mesh', { Sidecar: [] }).refusal('Sidecar', 'shop')).toBe('Sidecar may not be written to namespace "shop" (allowed for Sidecar: none)');
  });

  it('lists each (kind, namespace) pair once', () => {
    expect(scope.pairs(['ServiceEntry', 'Sidecar', 'EnvoyFilter'])).toEqual([
      { kind: 'ServiceEntry', namespace: 'sc2mesh' },
      { kind: 'Sidecar', namespace: 'shop' },
      { kind: 'Sidecar', namespace: 'billing' },
      { kind: 'EnvoyFilter', namespace: 'istio-system' },
    ]);
  });

  it('refuses an unusable list up front, naming kind, index and value', () => {
    expect(() => namespaceScope('sc2mesh', { Sidecar: ['shop', 'Bad_NS'] })).toThrow('kube writer: namespacesByKind.Sidecar[1] "Bad_NS" is not a namespace name');
    expect(() => namespaceScope('sc2mesh', { Gateway: ['x'] } as never)).toThrow('namespacesByKind: unknown kind "Gateway"');
  });
});
