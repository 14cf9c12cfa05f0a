import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '../model/validation.ts';
import { parseProviders, parseRelations } from './dependency-reader.ts';

const node = (id: string, name: string, version = '1.0.0', appId = 'shop'): Record<string, string> => ({ id, name, appId, version, type: '', color: '', position: '' });
const to = (id: string, name: string): Record<string, string> => ({ id, name, appId: '', version: '', type: '', color: '', position: '' });
const line = (from: Record<string, string>, target: Record<string, string>): Record<string, unknown> => ({ from, to: target, type: '', color: '', descriptor: '' });

describe('parseRelations', () => {
  const web = node('w1', 'web');
  const cart1 = node('c1', 'cart');
  const cart2 = node('c2', 'cart', '2.0.0');

  it('gives each consumer its providers, appId and version taken from the provider nodes', () => {
    const graph = parseRelations({ nodes: [web, cart1, cart2], lines: [line(web, to('c1', 'cart')), line(web, to('c2', 'cart'))], circles: null });
    expect(graph.rejected).toEqual([]);
    expect([...graph.consumers.keys()]).toEqual(['w1']);
    expect(graph.consumers.get('w1')).toEqual({
      serviceId: 'w1',
      appId: 'shop',
      serviceName: 'web',
      version: '1.0.0',
      providers: [
        { serviceId: 'c1', appId: 'shop', serviceName: 'cart', version: '1.0.0' },
        { serviceId: 'c2', appId: 'shop', serviceName: 'cart', version: '2.0.0' },
      ],
    });
    expect(graph.services.size).toBe(3);
  });

  it('reads null and missing lists as empty (Go encodes empty slices as null; an empty domain may answer {})', () => {
    for (const input of [{ nodes: null, lines: null, circles: null }, {}]) {
      const graph = parseRelations(input);
      expect(graph.consumers.size).toBe(0);
      expect(graph.services.size).toBe(0);
      expect(graph.rejected).toEqual([]);
    }
  });

  it('rejects a malformed line with the field and value named, and keeps the others', () => {
    const graph = parseRelations({
      nodes: [web, cart1, cart2],
      lines: [line(web, to('', 'cart')), line({ ...web, appId: 7 } as unknown as Record<string, string>, to('c1', 'cart')), 'junk', line(web, to('c2', 'cart'))],
    });
    expect(graph.consumers.get('w1')?.providers.map((p) => p.serviceId)).toEqual(['c2']);
    expect(graph.rejected.map((r) => r.where)).toEqual(['lines[0]', 'lines[1]', 'lines[2]']);
    expect(graph.rejected[0]?.reason).toMatch(/^lines\[0\]\.to\.id: .*\(got ""\)$/);
    expect(graph.rejected[1]?.reason).toMatch(/^lines\[1\]\.from\.appId: .*\(got 7\)$/);
    expect(graph.rejected[2]?.reason).toMatch(/^lines\[2\]: .*\(got "junk"\)$/);
  });

  it('rejects a line to a provider that is not a node (appId and version unknown), and a bad or repeated node', () => {
    const graph = parseRelations({ nodes: [web, cart1, { id: 'x' }, cart1], lines: [line(web, to('gone', 'cart')), line(web, to('c1', 'cart'))] });
    expect(graph.rejected).toEqual([
      { where: 'nodes[2]', reason: expect.stringMatching(/^nodes\[2\]\.name: .*\(got missing\)/) },
      { where: 'nodes[3]', reason: 'nodes[3].id: listed twice (got "c1")' },
      { where: 'lines[0]', reason: 'lines[0].to.id: not a node of this answer, so the provider\'s appId and version are unknown (got "gone")' },
    ]);
    expect(graph.consumers.get('w1')?.providers.map((p) => p.serviceId)).toEqual(['c1']);
  });

  it('drops self lines and repeated lines', () => {
    const graph = parseRelations({ nodes: [web, cart1], lines: [line(web, to('w1', 'web')), line(web, to('c1', 'cart')), line(web, to('c1', 'cart'))] });
    expect(graph.consumers.get('w1')?.providers.map((p) => p.serviceId)).toEqual(['c1']);
    expect(graph.rejected).toEqual([]);
  });

  it('throws a ValidationError when the answer as a whole is not a graph', () => {
    expect(() => parseRelations([])).toThrow(ValidationError);
    expect(() => parseRelations({ nodes: 'all', lines: [] })).toThrow(/^relations\.nodes: .*\(got "all"\)/);
  });
});

describe('parseProviders', () => {
  it('keeps the well-formed MicroServices and rejects the others with a reason', () => {
    const result = parseProviders('w1', { providers: [{ serviceId: 'c1', appId: 'shop', serviceName: 'cart', version: '1.0.0', environment: 'production' }, { serviceId: 'c2', serviceName: 'cart' }] });
    expect(result).toEqual({
      found: true,
      consumerId: 'w1',
      providers: [{ serviceId: 'c1', appId: 'shop', serviceName: 'cart', version: '1.0.0', environment: 'production' }],
      rejected: [{ where: 'providers[1]', reason: expect.stringMatching(/^providers\[1\]\.version: .*\(got missing\)$/) }],
    });
    expect(parseProviders('w1', {})).toEqual({ found: true, consumerId: 'w1', providers: [], rejected: [] });
    expect(() => parseProviders('w1', { providers: 'x' })).toThrow(ValidationError);
  });
});
