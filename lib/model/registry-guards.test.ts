import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { isServiceDetail } from './registry-guards.ts';
import { ServiceDetailSchema } from './registry.ts';

const valid = {
  microService: { serviceId: 's', appId: 'a', serviceName: 'n', version: '1', environment: '', status: 'UP', properties: { k: 'v' }, framework: { name: 'x' }, schemas: ['s'] },
  instances: [{ instanceId: 'i', endpoints: ['rest://1.2.3.4:1'], status: 'DOWN', healthCheck: { mode: 'push', interval: 30 }, dataCenterInfo: { region: 'r' }, properties: {} }],
};

/** Replaces the value at one random path of a valid record with an arbitrary value. */
function mutate(base: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let cur: Record<string | number, unknown> = copy;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i] as string | number];
    if (typeof next !== 'object' || next === null) return copy;
    cur = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

const PATHS: (string | number)[][] = [
  ['microService'], ['microService', 'serviceId'], ['microService', 'appId'], ['microService', 'serviceName'], ['microService', 'version'],
  ['microService', 'environment'], ['microService', 'status'], ['microService', 'properties'], ['microService', 'properties', 'k'],
  ['microService', 'framework'], ['microService', 'framework', 'name'], ['microService', 'schemas'], ['microService', 'schemas', 0],
  ['instances'], ['instances', 0], ['instances', 0, 'instanceId'], ['instances', 0, 'endpoints'], ['instances', 0, 'endpoints', 0],
  ['instances', 0, 'status'], ['instances', 0, 'healthCheck'], ['instances', 0, 'healthCheck', 'interval'], ['instances', 0, 'healthCheck', 'mode'],
  ['instances', 0, 'dataCenterInfo'], ['instances', 0, 'dataCenterInfo', 'region'], ['instances', 0, 'properties'], ['instances', 0, 'timestamp'],
];

describe('isServiceDetail (fast path) agrees with the zod schema', () => {
  it('accepts a valid record and applies the appId default', () => {
    const v = structuredClone(valid) as { microService: Record<string, unknown> };
    delete v.microService['appId'];
    expect(isServiceDetail(v)).toBe(true);
    expect(v.microService['appId']).toBe('default');
  });

  it('agrees with zod on NaN and ±Infinity at every path (once found by the property below)', () => {
    for (const path of PATHS) {
      for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const candidate = mutate(valid, path, v);
        expect([path, isServiceDetail(structuredClone(candidate))]).toEqual([path, ServiceDetailSchema.safeParse(structuredClone(candidate)).success]);
      }
    }
  });

  it('property: never accepts what zod rejects, and accepts what zod accepts', () => {
    const value = fc.oneof(fc.anything(), fc.constantFrom('UP', 'DOWN', 'STARTING', 'SLEEPING', '', 'x', 1, null, [], {}, ['a'], [1], { a: 1 }, { a: 'b' }));
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), value, (path, v) => {
        const candidate = mutate(valid, path, v);
        const zodOk = ServiceDetailSchema.safeParse(structuredClone(candidate)).success;
        expect(isServiceDetail(structuredClone(candidate))).toBe(zodOk);
      }),
      { numRuns: 3000 },
    );
  });
});
