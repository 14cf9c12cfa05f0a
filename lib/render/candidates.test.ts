import { describe, it, expect } from '@jest/globals';
import { collectCandidates } from './candidates.ts';
import { detail, group, instance, service } from '../../test/support/registry-builders.ts';

// Small services look for duplicates by comparing ids, large ones with a map: both must
// keep the same winner at the first-listed position and warn once per duplicate.
describe('collectCandidates', () => {
  for (const others of [3, 40]) {
    it(`keeps one candidate per instance id, the newest, where the id was first listed (${others + 2} instances)`, () => {
      const v1 = service({ version: '1.0.0', serviceId: 'a'.repeat(40) });
      const v2 = service({ version: '2.0.0', serviceId: 'b'.repeat(40) });
      const filler = Array.from({ length: others }, (_, i) => instance({ instanceId: `i-${i}`, endpoints: [`rest://10.0.1.${i + 1}:8080`] }));
      const old = instance({ instanceId: 'dup', endpoints: ['rest://10.0.0.1:8080'], modTimestamp: '100' });
      const fresh = instance({ instanceId: 'dup', endpoints: ['rest://10.0.0.2:8080'], modTimestamp: '200' });
      const warnings: string[] = [];
      const candidates = collectCandidates(group(detail(v1, [old, ...filler]), detail(v2, [fresh, instance({ instanceId: 'i-0', endpoints: ['rest://10.0.2.1:8080'], modTimestamp: '0' })])), warnings);
      expect(candidates.map((c) => c.instance.instanceId)).toEqual(['dup', ...filler.map((f) => f.instanceId)]);
      expect(candidates[0]).toMatchObject({ instance: fresh, serviceId: 'b'.repeat(40), version: '2.0.0' });
      expect(warnings).toHaveLength(2);
      expect(warnings.join('\n')).toContain('instance dup is listed more than once; kept the registration of service bbbb');
      expect(warnings.join('\n')).toContain('instance i-0 is listed more than once');
    });
  }
});
