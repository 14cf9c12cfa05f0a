import { describe, it, expect } from '@jest/globals';
import { parseGovernDump } from './govern-dump.ts';
import { ValidationError } from './validation.ts';

describe('parseGovernDump', () => {
  it('reads an empty registry ({}) as no services', () => {
    expect(parseGovernDump({})).toEqual({ services: [], rejected: [] });
  });

  it('tolerates unknown fields and applies wire defaults', () => {
    const d = parseGovernDump({ allServicesDetail: [{ microService: { serviceId: 's1', serviceName: 'a', version: '1', newField: 1 }, extra: true }] });
    expect(d.services[0]?.microService.appId).toBe('default');
    expect((d.services[0]?.microService as Record<string, unknown>)['newField']).toBe(1);
  });

  it('rejects one malformed entry with the field and value named, keeping the others', () => {
    const d = parseGovernDump({
      allServicesDetail: [
        { microService: { serviceId: 's1', serviceName: 'a', version: '1' } },
        { microService: { serviceId: 's2', serviceName: 'b', version: '1' }, instances: [{ instanceId: 'i', endpoints: 'rest://x:1' }] },
        { microService: { serviceId: 's3', serviceName: 'c', version: '1' }, instances: [{ instanceId: 'i', status: 'SLEEPING' }] },
        { microService: { serviceName: 'd', version: '1' } },
        'nonsense',
      ],
    });
    expect(d.services.map((s) => s.microService.serviceName)).toEqual(['a']);
    expect(d.rejected.map((r) => [r.index, r.service])).toEqual([
      [1, 'default/b@1'],
      [2, 'default/c@1'],
      [3, 'default/d@1'],
      [4, '#4'],
    ]);
    expect(d.rejected[0]?.reason).toMatch(/^allServicesDetail\[1\]\.instances\[0\]\.endpoints: .*got "rest:\/\/x:1"/);
    expect(d.rejected[1]?.reason).toContain('allServicesDetail[2].instances[0].status');
    expect(d.rejected[1]?.reason).toContain('"SLEEPING"');
    expect(d.rejected[2]?.reason).toContain('allServicesDetail[3].microService.serviceId');
  });

  it.each([[null], [[]], ['text'], [{ allServicesDetail: 'x' }], [{ name: 'sc2mesh', version: '1' }]])('refuses a document that is not a dump: %j', (input) => {
    expect(() => parseGovernDump(input)).toThrow(ValidationError);
  });
});
