import { describe, it, expect } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../support/run-cli.ts';
import { assertValidIstioObjects } from '../../lib/istio-validator/index.ts';

const run = runCli;

const FIXTURE = 'lib/demo/sample-registry.json';
const WITH_BAD = 'test/fixtures/registry-dump-with-bad-services.json';

describe('sc2mesh render', () => {
  it('prints valid multi-document YAML and exits 0', async () => {
    const r = await run(['render', '--input', FIXTURE]);
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as unknown);
    expect(docs.length).toBeGreaterThan(10);
    assertValidIstioObjects(docs);
    expect(r.stdout).not.toContain('&a'); // no YAML anchors
    expect(r.stdout).not.toContain('SERVICECENTER');
  });

  it('prints a JSON v1 List with --output json, identical in content to the YAML', async () => {
    const json = await run(['render', '--input', FIXTURE, '-o', 'json', '--mode', 'inline', '--namespace', 'mesh']);
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as { kind: string; apiVersion: string; items: { kind: string; metadata: { namespace: string } }[] };
    expect(list.kind).toBe('List');
    expect(list.apiVersion).toBe('v1');
    expect(list.items.every((o) => o.kind === 'ServiceEntry' && o.metadata.namespace === 'mesh')).toBe(true);
    assertValidIstioObjects(list.items);
    const yaml = await run(['render', '--input', FIXTURE, '--mode', 'inline', '--namespace', 'mesh']);
    expect(parseAllDocuments(yaml.stdout).map((d) => d.toJS() as unknown)).toEqual(list.items);
  });

  it('exits 3 and names each skipped service and instance on stderr, still printing the rest', async () => {
    const r = await run(['render', '--input', WITH_BAD]);
    expect(r.code).toBe(3);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('skipped'));
    expect(lines).toEqual([
      'skipped shop/42@1.0.0: allServicesDetail[4].microService.serviceName: Invalid input: expected string, received number (got 42)',
      'skipped shop/broken (production): instance b1: endpoint "rest://10.0.9.1" has no port',
    ]);
    expect(r.stdout).toContain('orders.shop.production.servicecomb.internal');
  });

  it('publishes the good instances of a service with a bad one, names the bad one on stderr and exits 3', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sc2mesh-cli-render-'));
    try {
      const file = path.join(dir, 'dump.json');
      const microService = { serviceId: 's1', appId: 'shop', serviceName: 'mixed', version: '1.0.0' };
      const instances = [
        { instanceId: 'good-1', serviceId: 's1', endpoints: ['rest://10.0.0.1:8080'], status: 'UP' },
        { instanceId: 'bad-1', serviceId: 's1', endpoints: ['rest://10.0.0.2'], status: 'UP' },
        { instanceId: 'bad-2', serviceId: 's1', endpoints: ['rest://0.0.0.0:8080'], status: 'UP' },
      ];
      await writeFile(file, JSON.stringify({ allServicesDetail: [{ microService, instances }] }));
      const r = await run(['render', '--input', file]);
      expect(r.code).toBe(3);
      expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('skipped'))).toEqual([
        'skipped shop/mixed: instance bad-1: endpoint "rest://10.0.0.2" has no port',
        'skipped shop/mixed: instance bad-2: endpoint "rest://0.0.0.0:8080": 0.0.0.0 is the unspecified address, not one a client can reach',
      ]);
      const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; spec: { address?: string } });
      expect(docs.map((d) => d.kind)).toEqual(['ServiceEntry', 'WorkloadEntry']);
      expect(docs[1]?.spec.address).toBe('10.0.0.1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('scopes each app with --export-to-app and emits subsets only for several versions', async () => {
    const r = await run(['render', '--input', FIXTURE, '-o', 'json', '--destination-rules', '--export-to', 'istio-system', '--export-to-app', 'shop=shop-web,istio-system', '--export-to-app', 'bank=~']);
    expect(r.code).toBe(0);
    const items = (JSON.parse(r.stdout) as { items: { kind: string; metadata: { annotations: Record<string, string> }; spec: { exportTo?: string[] } }[] }).items;
    assertValidIstioObjects(items);
    const scoped = items.filter((o) => o.kind !== 'WorkloadEntry').map((o) => `${o.kind} ${o.metadata.annotations['sc2mesh.io/service-key'] ?? ''} ${JSON.stringify(o.spec.exportTo)}`);
    expect(scoped.sort()).toEqual([
      'DestinationRule production/shop/orders ["shop-web","istio-system"]',
      'ServiceEntry /bank/accounts ["~"]',
      'ServiceEntry /bank/ledger ["~"]',
      'ServiceEntry production/shop/cart ["shop-web","istio-system"]',
      'ServiceEntry production/shop/catalog ["shop-web","istio-system"]',
      'ServiceEntry production/shop/orders ["shop-web","istio-system"]',
      'ServiceEntry production/shop/payments ["shop-web","istio-system"]',
    ]);
  });

  it.each([
    [['render', '--input', 'does/not/exist.json'], '--input "does/not/exist.json": cannot read (ENOENT)'],
    [['render', '--input', 'package.json'], 'not a registry dump'],
    [['render', '--input', 'README.md'], 'not valid JSON'],
    [['render', '--input', FIXTURE, '--namespace', 'Bad_NS'], '--namespace: must be a DNS-1123 label'],
    [['render', '--input', FIXTURE, '--publish-statuses', 'UP,SLEEPING'], '--publish-statuses'],
    [['render', '--input', FIXTURE, '--label', 'novalue'], '--label "novalue": expected key=value'],
    [['render', '--input', FIXTURE, '--host-template', '{service}.{application}'], '--host-template: unknown placeholder {application}'],
    [['render', '--input', FIXTURE, '--mode', 'sideways'], "argument 'sideways' is invalid"],
    [['render', '--input', FIXTURE, '--export-to-app', 'shop=web,*'], '--export-to-app (shop[1]): "*" (every namespace) cannot be combined with other values (got "*")'],
    [['render', '--input', FIXTURE, '--export-to-app', 'shop'], '--export-to-app "shop": expected app=namespace'],
    [['render', '--input', FIXTURE, '--export-to-app', 'shop=a', '--export-to-app', 'shop=b'], '"shop" is given twice'],
    [['render', '--input', FIXTURE, '--export-to', 'a,a'], '--export-to: repeats entry 0 (got "a")'],
    [['render', '--input', FIXTURE, '--subsets', 'sometimes'], "argument 'sometimes' is invalid"],
    [['render'], "required option '-i, --input <file>' not specified"],
  ])('exits 1 with a clear message: %j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });
});
