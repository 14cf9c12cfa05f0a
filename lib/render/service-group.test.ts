import { describe, it, expect } from '@jest/globals';
import { groupFromInstances, groupServices, partsOf } from './service-group.ts';
import { detail, instance, service } from '../../test/support/registry-builders.ts';

describe('groupServices', () => {
  it('leaves out versions without instances but keeps the group of a service that has none', () => {
    const used = service({ version: '1.0.0', serviceId: 'b'.repeat(40) });
    const empty = service({ version: '2.0.0', serviceId: 'a'.repeat(40) });
    const [g] = groupServices([detail(used, [instance()]), detail(empty, [])]);
    expect(g?.versions.map((v) => v.service.serviceId)).toEqual(['b'.repeat(40)]);
    const [alone] = groupServices([{ microService: empty }]);
    expect(alone?.key).toBe('/shop/orders');
    expect(alone?.versions).toEqual([]);
  });

  it('treats one entry listed twice as one version', () => {
    const v = service();
    const a = instance({ instanceId: 'a' });
    const b = instance({ instanceId: 'b' });
    const [g] = groupServices([detail(v, [a]), detail(v, [b])]);
    expect(g?.versions).toHaveLength(1);
    expect(g?.versions[0]?.instances.map((i) => i.instanceId)).toEqual(['a', 'b']);
  });
});

describe('groupFromInstances', () => {
  it('builds the group groupServices builds from the same registrations', () => {
    const v1 = service({ version: '1.0.0', serviceId: 'b'.repeat(40) });
    const v2 = service({ version: '1.1.0', serviceId: 'a'.repeat(40) });
    const details = [detail(v1, [instance(), instance()]), detail(v2, [instance()]), detail(service({ version: '9.0.0' }), [])];
    const expected = groupServices(details)[0];
    const instances = details.flatMap((d) => d.instances ?? []).reverse();
    const { group, unversioned } = groupFromInstances(partsOf(v1), instances, () => undefined);
    expect(unversioned).toEqual([]);
    expect(group.key).toBe(expected?.key);
    expect(group.versions.map((v) => [v.service.serviceId, v.service.version, v.instances.length])).toEqual(
      expected?.versions.map((v) => [v.service.serviceId, v.service.version, v.instances.length]),
    );
  });

  it('takes the version from versionOf when the instance has none, and reports instances whose version is unknown', () => {
    const parts = { environment: '', appId: 'shop', serviceName: 'orders' };
    const known = instance({ instanceId: 'k', serviceId: 'sid-known', version: undefined });
    const unknown = instance({ instanceId: 'u', serviceId: 'sid-unknown' });
    const orphan = instance({ instanceId: 'o' });
    const versions: Record<string, string> = { 'sid-known': '3.0.0' };
    const { group, unversioned } = groupFromInstances(parts, [unknown, orphan, known], (id) => versions[id]);
    expect(group.versions.map((v) => [v.service.serviceId, v.service.version])).toEqual([['sid-known', '3.0.0']]);
    expect(unversioned).toEqual(['o', 'u']);
  });

  it('gives one version one name whatever the order, when its instances disagree', () => {
    const parts = { environment: '', appId: 'shop', serviceName: 'orders' };
    const a = instance({ serviceId: 's', version: '1.0.1' });
    const b = instance({ serviceId: 's', version: '1.0.0' });
    expect(groupFromInstances(parts, [a, b], () => undefined).group.versions[0]?.service.version).toBe('1.0.0');
    expect(groupFromInstances(parts, [b, a], () => undefined).group.versions[0]?.service.version).toBe('1.0.0');
  });
});
