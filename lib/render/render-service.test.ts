import { describe, it, expect } from '@jest/globals';
import { renderService, type RenderedService, type ServiceRenderResult } from './render-service.ts';
import { resolveRenderOptions, type RenderOptionsInput } from './options.ts';
import type { IstioObject, ServiceEntry, WorkloadEntry, DestinationRule } from '../model/istio.ts';
import { CONTENT_HASH_ANNOTATION, INSTANCE_ID_ANNOTATION, MANAGED_BY_LABEL, SERVICE_IDS_ANNOTATION, SERVICE_LABEL, SOURCE_LABEL } from '../model/ownership.ts';
import { contentHashOf, contentHashText } from './content-hash.ts';
import { shortHash } from '../names/hash.ts';
import { detail, group, instance, service } from '../../test/support/registry-builders.ts';
import { assertValidIstioObjects } from '../istio-validator/index.ts';

const render = (g: Parameters<typeof renderService>[0], opts: RenderOptionsInput = {}): ServiceRenderResult => renderService(g, resolveRenderOptions(opts));

function ok(result: ServiceRenderResult): RenderedService {
  if (!result.ok) throw new Error(`skipped: ${result.skipped.reason}`);
  assertValidIstioObjects(result.service.objects);
  return result.service;
}
const ofKind = <K extends IstioObject['kind']>(objects: IstioObject[], kind: K) => objects.filter((o) => o.kind === kind) as Extract<IstioObject, { kind: K }>[];
const se = (s: RenderedService): ServiceEntry => ofKind(s.objects, 'ServiceEntry')[0] as ServiceEntry;
const wes = (s: RenderedService): WorkloadEntry[] => ofKind(s.objects, 'WorkloadEntry');

describe('renderService: the mapping', () => {
  it('renders one ServiceEntry with a workloadSelector and one WorkloadEntry per UP instance', () => {
    const v1 = service({ version: '1.0.0', environment: 'production' });
    const v2 = service({ version: '1.1.0', environment: 'production' });
    const s = ok(
      render(
        group(
          detail(v1, [instance({ endpoints: ['rest://10.0.0.1:8080'], dataCenterInfo: { name: 'aws', region: 'eu-west-1', availableZone: 'eu-west-1a' } })]),
          detail(v2, [instance({ endpoints: ['rest://10.0.0.2:8080', 'highway://10.0.0.2:7070'] })]),
        ),
      ),
    );
    const entry = se(s);
    expect(entry.spec.hosts).toEqual(['orders.shop.production.servicecomb.internal']);
    expect(entry.spec.resolution).toBe('STATIC');
    expect(entry.spec.location).toBe('MESH_INTERNAL');
    expect(entry.spec.ports).toEqual([
      { number: 7070, protocol: 'TCP', name: 'tcp-7070' },
      { number: 8080, protocol: 'HTTP', name: 'http-8080' },
    ]);
    expect(entry.spec.workloadSelector).toEqual({ labels: { [SERVICE_LABEL]: s.name } });
    expect(entry.spec.endpoints).toBeUndefined();
    const entries = wes(s);
    expect(entries).toHaveLength(2);
    const byAddress = new Map(entries.map((w) => [w.spec.address, w]));
    expect(byAddress.get('10.0.0.1')?.spec).toEqual({
      address: '10.0.0.1',
      ports: { 'http-8080': 8080 },
      labels: { [SERVICE_LABEL]: s.name, app: 'orders', version: '1.0.0' },
      locality: 'eu-west-1/eu-west-1a',
    });
    expect(byAddress.get('10.0.0.2')?.spec.ports).toEqual({ 'tcp-7070': 7070, 'http-8080': 8080 });
    expect(byAddress.get('10.0.0.2')?.spec.labels?.['version']).toBe('1.1.0');
    for (const o of s.objects) {
      expect(o.metadata.labels[MANAGED_BY_LABEL]).toBe('sc2mesh');
      expect(o.metadata.labels[SOURCE_LABEL]).toBe('default');
      expect(o.metadata.annotations[CONTENT_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
      expect(o.metadata.namespace).toBe('sc2mesh');
    }
  });

  it('maps protocols and names ports <protocol>-<number>', () => {
    const s = ok(
      render(
        group(
          detail(service(), [
            instance({ endpoints: ['rest://10.0.0.1:8443?sslEnabled=true', 'grpc://10.0.0.1:9090', 'h2://10.0.0.1:8081', 'highway://10.0.0.1:7070', 'thrift://10.0.0.1:9999'] }),
          ]),
        ),
      ),
    );
    expect(se(s).spec.ports.map((p) => p.name)).toEqual(['tcp-7070', 'http2-8081', 'https-8443', 'grpc-9090', 'tcp-9999']);
  });

  it('publishes a port registered with two protocols as TCP, with a warning', () => {
    const s = ok(render(group(detail(service(), [instance({ endpoints: ['rest://10.0.0.1:8080'] }), instance({ endpoints: ['highway://10.0.0.2:8080'] })]))));
    expect(se(s).spec.ports).toEqual([{ number: 8080, protocol: 'TCP', name: 'tcp-8080' }]);
    expect(wes(s).map((w) => w.spec.ports)).toEqual([{ 'tcp-8080': 8080 }, { 'tcp-8080': 8080 }]);
    expect(s.warnings.join()).toContain('port 8080');
  });

  it('inline mode puts the endpoints inside the ServiceEntry', () => {
    const s = ok(render(group(detail(service(), [instance({ endpoints: ['rest://10.0.0.2:8080'] }), instance({ endpoints: ['rest://10.0.0.1:8080'] })])), { mode: 'inline' }));
    expect(s.objects).toHaveLength(1);
    expect(se(s).spec.workloadSelector).toBeUndefined();
    expect(se(s).spec.endpoints?.map((e) => e.address).sort()).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('inline mode warns above 128 endpoints and refuses a service above 4096', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => instance({ endpoints: [`rest://10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:8080`] }));
    const warned = ok(render(group(detail(service(), many(129))), { mode: 'inline' }));
    expect(warned.warnings.join()).toContain('129 inline endpoints');
    const refused = render(group(detail(service(), many(4097))), { mode: 'inline' });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.skipped.reason).toContain('at most 4096');
  });

  it('emits a DestinationRule with one subset per version when asked', () => {
    const s = ok(
      render(group(detail(service({ version: '1.0.0' }), [instance()]), detail(service({ version: '2.0.0' }), [instance()])), { destinationRules: true, exportTo: ['.'] }),
    );
    const rule = ofKind(s.objects, 'DestinationRule')[0] as DestinationRule;
    expect(rule.spec.host).toBe(se(s).spec.hosts[0]);
    expect(rule.spec.subsets).toEqual([
      { name: 'v1-0-0', labels: { version: '1.0.0' } },
      { name: 'v2-0-0', labels: { version: '2.0.0' } },
    ]);
    expect(rule.spec.exportTo).toEqual(['.']);
    expect(se(s).spec.exportTo).toEqual(['.']);
  });

  it('adds extra labels and the source to every object', () => {
    const s = ok(render(group(detail(service(), [instance()])), { extraLabels: { team: 'payments' }, source: 'eu-registry' }));
    for (const o of s.objects) expect(o.metadata.labels).toMatchObject({ team: 'payments', [SOURCE_LABEL]: 'eu-registry' });
  });

  it('ignores a version without instances: no subset, not in the serviceIds annotation', () => {
    const used = service({ version: '1.0.0', serviceId: 'a'.repeat(40) });
    const empty = service({ version: '2.0.0', serviceId: 'b'.repeat(40) });
    const g = group(detail(used, [instance()]), detail(empty, []));
    // one version with instances: nothing to route between, so by default no rule at all
    const s = ok(render(g, { destinationRules: true }));
    expect(se(s).metadata.annotations[SERVICE_IDS_ANNOTATION]).toBe('a'.repeat(40));
    expect(ofKind(s.objects, 'DestinationRule')).toEqual([]);
    const always = ok(render(g, { destinationRules: true, subsets: 'always' }));
    const rule = ofKind(always.objects, 'DestinationRule')[0] as DestinationRule;
    expect(rule.spec.subsets.map((x) => x.name)).toEqual(['v1-0-0']);
  });

  it('stamps every object with the hash contentHashOf gives, also for ids that JSON must escape', () => {
    const odd = service({ serviceId: 'id "quoted" \\ é', version: '1.0.0' });
    const s = ok(
      render(
        group(
          detail(odd, [
            instance({ instanceId: 'inst "1" \u2028 ☃', dataCenterInfo: { name: 'x', region: ' eu/west ', availableZone: 'a/b' } }),
            instance({ instanceId: 'plain', endpoints: ['rest://[fd00::1]:8080', 'grpc://[fd00::1]:9090'] }),
          ]),
        ),
        { destinationRules: true, subsets: 'always', extraLabels: { team: 'payments' } },
      ),
    );
    expect(wes(s)).toHaveLength(2);
    expect(ofKind(s.objects, 'DestinationRule')).toHaveLength(1);
    for (const o of s.objects) expect(o.metadata.annotations[CONTENT_HASH_ANNOTATION]).toBe(contentHashOf(o));
    // The text the render bench times sha256 of is the one the hash is made from.
    for (const o of s.objects) expect(shortHash(contentHashText(o))).toBe(o.metadata.annotations[CONTENT_HASH_ANNOTATION]);
    expect(wes(s).map((w) => w.spec.locality)).toContain('eu-west/a-b');
  });

  it('is independent of the order of versions and instances', () => {
    const a = service({ version: '1.0.0', serviceId: 'a'.repeat(40) });
    const b = service({ version: '2.0.0', serviceId: 'b'.repeat(40) });
    const i1 = instance();
    const i2 = instance();
    const i3 = instance();
    const one = ok(render(group(detail(a, [i1, i2]), detail(b, [i3]))));
    const two = ok(render(group(detail(b, [i3]), detail(a, [i2, i1]))));
    expect(two.objects).toEqual(one.objects);
  });
});

describe('renderService: defined outcomes for bad or unusual registry data', () => {
  it.each([
    ['an unparseable endpoint URL', 'not a url at all', 'is not a URL'],
    ['an endpoint without a port', 'rest://10.0.0.9', 'has no port'],
    ['a port out of range', 'rest://10.0.0.9:70000', 'out of range'],
  ])('skips only the instance for %s on a published instance, naming the endpoint', (_what, endpoint, fragment) => {
    const good = instance({ instanceId: 'good-1', endpoints: ['rest://10.0.0.1:8080'] });
    const s = ok(render(group(detail(service(), [good, instance({ instanceId: 'bad-1', endpoints: [endpoint] })]))));
    expect(wes(s).map((w) => w.metadata.annotations[INSTANCE_ID_ANNOTATION])).toEqual(['good-1']);
    expect(s.published).toBe(1);
    expect(s.instances).toBe(2);
    expect(s.skippedInstances).toHaveLength(1);
    expect(s.skippedInstances[0]?.instanceId).toBe('bad-1');
    expect(s.skippedInstances[0]?.reason).toContain(fragment);
    expect(s.skippedInstances[0]?.reason).toContain(JSON.stringify(endpoint));
    // named once, in skippedInstances, not again as a warning
    expect(s.warnings.filter((w) => w.includes('bad-1'))).toEqual([]);
  });

  it('names every bad instance, sorted, and every bad endpoint of an instance once', () => {
    const s = ok(
      render(
        group(
          detail(service(), [
            instance({ instanceId: 'z-bad', endpoints: ['rest://10.0.0.7', 'rest://10.0.0.7', 'highway://10.0.0.7:0'] }),
            instance({ instanceId: 'good', endpoints: ['rest://10.0.0.1:8080'] }),
            instance({ instanceId: 'a-bad', endpoints: ['rest://10.0.0.8:8080', 'garbage'] }),
          ]),
        ),
      ),
    );
    expect(s.skippedInstances.map((i) => i.instanceId)).toEqual(['a-bad', 'z-bad']);
    expect(s.skippedInstances[0]?.reason).toBe('endpoint "garbage" is not a URL of the form scheme://host:port');
    expect(s.skippedInstances[1]?.reason).toBe('endpoint "rest://10.0.0.7" has no port; endpoint "highway://10.0.0.7:0": port 0 is out of range 1-65535');
    expect(wes(s).map((w) => w.spec.address)).toEqual(['10.0.0.1']);
  });

  it('keeps the ports of a skipped instance on the ServiceEntry, as it does for a DOWN one', () => {
    const s = ok(render(group(detail(service(), [instance({ endpoints: ['rest://10.0.0.1:8080'] }), instance({ instanceId: 'bad', endpoints: ['grpc://10.0.0.2:9090', 'rest://10.0.0.2'] })]))));
    expect(se(s).spec.ports.map((p) => p.name)).toEqual(['http-8080', 'grpc-9090']);
    expect(wes(s)).toHaveLength(1);
  });

  it('renders a service whose only published instance is bad without objects, and does not skip it', () => {
    const r = render(group(detail(service(), [instance({ instanceId: 'bad', endpoints: ['rest://10.0.0.2'] })])));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.service.objects).toEqual([]);
      expect(r.service.skippedInstances.map((i) => i.instanceId)).toEqual(['bad']);
    }
  });

  it('ignores a bad endpoint on an instance that is not published, with a warning', () => {
    const s = ok(render(group(detail(service(), [instance(), instance({ status: 'DOWN', endpoints: ['rest://nowhere'] })]))));
    expect(wes(s)).toHaveLength(1);
    expect(s.warnings.join()).toContain('not published');
  });

  it('does not publish an instance with no endpoints, and still renders the service', () => {
    const s = ok(render(group(detail(service(), [instance(), instance({ instanceId: 'empty', endpoints: [] }), instance({ instanceId: 'missing', endpoints: undefined })]))));
    expect(wes(s)).toHaveLength(1);
    expect(s.warnings.filter((w) => w.includes('no endpoints'))).toHaveLength(2);
  });

  it('renders nothing (and skips nothing) for a service without instances', () => {
    const s = ok(render(group(detail(service(), []))));
    expect(s.objects).toEqual([]);
    expect(s.skippedInstances).toEqual([]);
  });

  it('keeps the ServiceEntry while every instance is DOWN', () => {
    const s = ok(render(group(detail(service(), [instance({ status: 'DOWN' })]))));
    expect(s.objects.map((o) => o.kind)).toEqual(['ServiceEntry']);
    expect(s.published).toBe(0);
  });

  it('uses the first address of an instance whose endpoints are on different hosts, with a warning', () => {
    const s = ok(render(group(detail(service(), [instance({ endpoints: ['rest://10.0.0.1:8080', 'highway://10.0.0.2:7070'] })]))));
    expect(wes(s).map((w) => w.spec.address)).toEqual(['10.0.0.1']);
    expect(wes(s)[0]?.spec.ports).toEqual({ 'http-8080': 8080 });
    expect(s.warnings.join()).toContain('highway://10.0.0.2:7070');
  });

  it('publishes IPv6 literals without brackets', () => {
    const s = ok(render(group(detail(service(), [instance({ endpoints: ['rest://[fd00::5]:8080'] })]))));
    expect(wes(s)[0]?.spec.address).toBe('fd00::5');
    expect(se(s).spec.resolution).toBe('STATIC');
  });

  it('publishes hostnames as addresses with DNS resolution', () => {
    const s = ok(render(group(detail(service(), [instance({ endpoints: ['rest://Orders-0.Shop.example.com:8080'] }), instance()]))));
    expect(wes(s).map((w) => w.spec.address)).toContain('orders-0.shop.example.com');
    expect(se(s).spec.resolution).toBe('DNS');
  });

  it('keeps one WorkloadEntry for a duplicated instance id: the newest registration', () => {
    const v1 = service({ version: '1.0.0', serviceId: 'a'.repeat(40) });
    const v2 = service({ version: '2.0.0', serviceId: 'b'.repeat(40) });
    const old = instance({ instanceId: 'dup', endpoints: ['rest://10.0.0.1:8080'], modTimestamp: '100' });
    const fresh = instance({ instanceId: 'dup', endpoints: ['rest://10.0.0.2:8080'], modTimestamp: '200' });
    for (const g of [group(detail(v1, [fresh]), detail(v2, [old])), group(detail(v2, [old]), detail(v1, [fresh]))]) {
      const s = ok(render(g));
      expect(wes(s)).toHaveLength(1);
      expect(wes(s)[0]?.spec.address).toBe('10.0.0.2');
      expect(wes(s)[0]?.metadata.annotations[INSTANCE_ID_ANNOTATION]).toBe('dup');
      expect(s.warnings.join()).toContain('dup is listed more than once');
    }
    const twice = ok(render(group(detail(v1, [old, { ...old }]))));
    expect(wes(twice)).toHaveLength(1);
  });

  it('makes valid names from names with characters Kubernetes forbids', () => {
    const s = ok(render(group(detail(service({ appId: 'My_App!', serviceName: 'Order Service#1', version: '1.0.0' }), [instance()]))));
    expect(s.name).toMatch(/^order-service-1-my-app-[0-9a-f]{8}$/);
    expect(se(s).spec.hosts[0]).toMatch(/^order-service-1-[0-9a-f]{8}\.my-app-[0-9a-f]{8}\.servicecomb\.internal$/);
    expect(wes(s)[0]?.spec.labels?.['app']).toMatch(/^Order-Service-1-[0-9a-f]{8}$/);
  });

  it('renders 300-character names within Kubernetes limits', () => {
    const s = ok(render(group(detail(service({ serviceName: 's'.repeat(300), appId: 'a'.repeat(300), environment: 'e'.repeat(300) }), [instance()]))));
    expect(s.name.length).toBeLessThanOrEqual(63);
    for (const label of (se(s).spec.hosts[0] ?? '').split('.')) expect(label.length).toBeLessThanOrEqual(63);
  });

  it('renders non-ASCII names', () => {
    const s = ok(render(group(detail(service({ serviceName: '订单服务', appId: 'café' }), [instance()]))));
    expect(se(s).spec.hosts[0]).toMatch(/^x-[0-9a-f]{8}\.cafe-[0-9a-f]{8}\.servicecomb\.internal$/);
  });

  it('publishes non-UP instances only when their status is configured', () => {
    const g = group(detail(service(), [instance({ status: 'UP' }), instance({ status: 'STARTING' }), instance({ status: 'OUTOFSERVICE' }), instance({ status: 'DOWN' })]));
    expect(wes(ok(render(g)))).toHaveLength(1);
    expect(wes(ok(render(g, { publishStatuses: ['UP', 'STARTING'] })))).toHaveLength(2);
  });

  it.each(['SERVICECENTER', 'SERVICE-CENTER', 'sc2mesh-watcher'])('never publishes %s', (name) => {
    const s = ok(render(group(detail(service({ serviceName: name, appId: 'default' }), [instance()]))));
    expect(s.excluded).toBe(true);
    expect(s.objects).toEqual([]);
  });

  it('skips a service with more ports than a ServiceEntry can hold', () => {
    const endpoints = Array.from({ length: 257 }, (_, i) => `rest://10.0.0.1:${10000 + i}`);
    const r = render(group(detail(service(), [instance({ endpoints: endpoints.slice(0, 100) }), instance({ endpoints: endpoints.slice(100).map((e) => e.replace('10.0.0.1', '10.0.0.2')) })])));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.skipped.reason).toContain('257 distinct ports');
  });
});
