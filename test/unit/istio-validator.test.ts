import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { compileCelRules } from '../../lib/istio-validator/cel-rules.ts';
import { loadCrdSchemas, resolveSharedDir } from '../../lib/istio-validator/crd-files.ts';
import {
  assertValidIstioObjects,
  loadIstioValidator,
  MISSING_CRDS_NOTICE,
  type IstioValidator,
  type ValidationCause,
} from '../../lib/istio-validator/index.ts';
import { buildSchemaNode } from '../../lib/istio-validator/structural-schema.ts';

type Json = Record<string, unknown>;

const API = 'networking.istio.io/v1';

function serviceEntry(spec: Json = {}, metadata: Json = {}): Json {
  return {
    apiVersion: API,
    kind: 'ServiceEntry',
    metadata: { name: 'orders', namespace: 'mesh', labels: { 'app.kubernetes.io/managed-by': 'sc2mesh' }, ...metadata },
    spec: {
      hosts: ['orders.default.servicecomb'],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      ports: [{ number: 8080, name: 'http-8080', protocol: 'HTTP' }],
      workloadSelector: { labels: { app: 'orders' } },
      ...spec,
    },
  };
}

function inlineServiceEntry(endpoints: Json[], spec: Json = {}): Json {
  const se = serviceEntry({ endpoints, ...spec });
  delete (se.spec as Json).workloadSelector;
  return se;
}

function workloadEntry(spec: Json = {}, metadata: Json = {}): Json {
  return {
    apiVersion: API,
    kind: 'WorkloadEntry',
    metadata: { name: 'orders-10-0-0-7-8080', namespace: 'mesh', ...metadata },
    spec: {
      address: '10.0.0.7',
      ports: { 'http-8080': 8080 },
      labels: { app: 'orders', version: '1.0.0' },
      locality: 'eu-west-1/eu-west-1a',
      ...spec,
    },
  };
}

function destinationRule(spec: Json = {}): Json {
  return {
    apiVersion: API,
    kind: 'DestinationRule',
    metadata: { name: 'orders', namespace: 'mesh' },
    spec: {
      host: 'orders.default.servicecomb',
      trafficPolicy: {
        connectionPool: { tcp: { connectTimeout: '250ms', tcpKeepalive: { time: '1h', interval: '75s' } } },
        loadBalancer: { simple: 'ROUND_ROBIN' },
        outlierDetection: { interval: '10s', baseEjectionTime: '30s' },
      },
      subsets: [
        { name: 'v1-0-0', labels: { version: '1.0.0' } },
        { name: 'v2-0-0', labels: { version: '2.0.0' }, trafficPolicy: { connectionPool: { http: { idleTimeout: '1.5m' } } } },
      ],
      ...spec,
    },
  };
}

/** As governance writes one: a retry route and a fault route for the provider's host. */
function virtualService(spec: Json = {}): Json {
  const host = 'orders.default.servicecomb';
  return {
    apiVersion: API,
    kind: 'VirtualService',
    metadata: { name: 'orders', namespace: 'mesh' },
    spec: {
      hosts: [host],
      http: [
        { name: 'api', match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host } }], retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx' } },
        { name: 'every', route: [{ destination: { host } }], fault: { abort: { httpStatus: 503, percentage: { value: 10 } } } },
      ],
      ...spec,
    },
  };
}

function fields(causes: readonly ValidationCause[]): string[] {
  return causes.map((c) => c.field);
}

const crdsPresent = loadCrdSchemas(resolveSharedDir()) !== undefined;

describe('istio-validator with the shared CRDs', () => {
  let validator: IstioValidator;
  beforeAll(() => {
    // CI and every developer checkout have ../shared; without it this suite cannot say anything.
    expect(crdsPresent).toBe(true);
    validator = loadIstioValidator();
  });

  it('reads the CRDs and enables CEL', () => {
    expect(validator.crdSource).toBe('shared-crds');
    expect(validator.celEnabled).toBe(true);
    expect(loadIstioValidator()).toBe(validator);
  });

  describe('accepts valid objects', () => {
    const valid: [string, Json][] = [
      ['ServiceEntry with workloadSelector', serviceEntry()],
      ['ServiceEntry with inline endpoints', inlineServiceEntry([{ address: '10.0.0.7', ports: { 'http-8080': 8080 }, labels: { version: '1.0.0' } }])],
      ['ServiceEntry with an IPv6 endpoint', inlineServiceEntry([{ address: '2001:db8::7', ports: { 'http-8080': 8080 } }])],
      [
        'ServiceEntry with a DNS hostname endpoint',
        inlineServiceEntry([{ address: 'orders.internal.example.com', ports: { 'http-8080': 8080 } }], { resolution: 'DNS' }),
      ],
      ['WorkloadEntry', workloadEntry()],
      ['DestinationRule with subsets', destinationRule()],
      ['VirtualService with retries and a fault', virtualService()],
    ];
    it.each(valid)('%s', (_name, obj) => {
      expect(validator.validate(obj, { strictUnknownFields: true })).toEqual({ causes: [], warnings: [] });
    });
  });

  describe('metadata rules', () => {
    it('rejects a name that is not a DNS-1123 subdomain', () => {
      const { causes } = validator.validate(serviceEntry({}, { name: 'Orders_v1' }));
      expect(causes).toEqual([
        expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid', message: expect.stringContaining('metadata.name: Invalid value: "Orders_v1": a lowercase RFC 1123 subdomain') }),
      ]);
    });

    it('requires a name', () => {
      const { causes } = validator.validate(serviceEntry({}, { name: undefined }));
      expect(causes[0]).toEqual({ field: 'metadata.name', reason: 'FieldValueRequired', message: 'metadata.name: Required value: name or generateName is required' });
    });

    it('rejects a label value over 63 characters', () => {
      const { causes } = validator.validate(workloadEntry({}, { labels: { version: 'v'.repeat(64) } }));
      expect(causes).toEqual([expect.objectContaining({ field: 'metadata.labels', message: expect.stringContaining('must be no more than 63 characters') })]);
    });

    it('accepts a label value of exactly 63 characters', () => {
      expect(validator.validate(workloadEntry({}, { labels: { version: 'v'.repeat(63) } })).causes).toEqual([]);
    });

    it('rejects a label key that is not a qualified name', () => {
      for (const key of ['bad key', 'example.com/', 'a/b/c', '-lead']) {
        const { causes } = validator.validate(workloadEntry({}, { labels: { [key]: 'x' } }));
        expect(fields(causes)).toEqual(expect.arrayContaining(['metadata.labels']));
        expect(causes[0]?.message).toContain(`Invalid value: ${JSON.stringify(key)}`);
      }
    });

    it('rejects a namespace that is not a DNS-1123 label', () => {
      const { causes } = validator.validate(workloadEntry({}, { namespace: 'mesh.prod' }));
      expect(causes[0]?.message).toContain('metadata.namespace: Invalid value: "mesh.prod": a lowercase RFC 1123 label');
    });

    it('limits the annotations to 256 KiB in total', () => {
      const { causes } = validator.validate(workloadEntry({}, { annotations: { 'sc2mesh.io/a': 'x'.repeat(256 * 1024) } }));
      expect(causes).toEqual([
        expect.objectContaining({ field: 'metadata.annotations', reason: 'FieldValueTooLong', message: 'metadata.annotations: Too long: must have at most 262144 bytes' }),
        // Too long blocks the CEL rules, as on the API server.
        expect.objectContaining({ field: '<nil>', message: expect.stringContaining('some validation rules were not checked') }),
      ]);
    });

    it('answers a wrong apiVersion with that error alone', () => {
      const se = { ...serviceEntry({ hosts: [] }), apiVersion: 'networking.istio.io/v1beta1' };
      expect(validator.validate(se).causes).toEqual([
        { field: 'apiVersion', reason: 'FieldValueInvalid', message: 'apiVersion: Invalid value: "networking.istio.io/v1beta1": must be networking.istio.io/v1' },
      ]);
    });

    it('rejects a kind it does not know', () => {
      const { causes } = validator.validate({ ...serviceEntry(), kind: 'Gateway' });
      expect(causes).toEqual([expect.objectContaining({ field: 'kind', reason: 'FieldValueNotSupported' })]);
    });
  });

  describe('ServiceEntry rules', () => {
    it('rejects duplicate port numbers', () => {
      const ports = [
        { number: 8080, name: 'http-8080', protocol: 'HTTP' },
        { number: 8080, name: 'grpc-8080', protocol: 'GRPC' },
      ];
      expect(validator.validate(serviceEntry({ ports })).causes).toEqual([
        { field: 'spec.ports', reason: 'FieldValueInvalid', message: 'spec.ports: Invalid value: "array": port number cannot be duplicated' },
      ]);
    });

    it('rejects duplicate port names (list-type map)', () => {
      const ports = [
        { number: 8080, name: 'http', protocol: 'HTTP' },
        { number: 8081, name: 'http', protocol: 'HTTP' },
      ];
      expect(validator.validate(serviceEntry({ ports })).causes).toEqual([
        { field: 'spec.ports[1].name', reason: 'FieldValueDuplicate', message: 'spec.ports[1].name: Duplicate value: "http"' },
      ]);
    });

    it.each([0, 70000])('rejects port number %d', (number) => {
      const { causes } = validator.validate(serviceEntry({ ports: [{ number, name: 'tcp', protocol: 'TCP' }] }));
      expect(causes).toEqual([
        { field: 'spec.ports[0].number', reason: 'FieldValueInvalid', message: 'spec.ports[0].number: Invalid value: "integer": port must be between 1-65535' },
      ]);
    });

    it('rejects a negative port through the schema minimum', () => {
      const { causes } = validator.validate(serviceEntry({ ports: [{ number: -1, name: 'tcp', protocol: 'TCP' }] }));
      expect(causes.map((c) => c.message)).toEqual([
        'spec.ports[0].number: Invalid value: -1: spec.ports[0].number in body should be greater than or equal to 0',
        'spec.ports[0].number: Invalid value: "integer": port must be between 1-65535',
      ]);
    });

    it('rejects workloadSelector and endpoints together', () => {
      const { causes } = validator.validate(serviceEntry({ endpoints: [{ address: '10.0.0.7' }] }));
      expect(causes).toEqual([
        { field: 'spec', reason: 'FieldValueInvalid', message: 'spec: Invalid value: "object": only one of WorkloadSelector or Endpoints can be set' },
      ]);
    });

    it('rejects a wildcard host', () => {
      const { causes } = validator.validate(serviceEntry({ hosts: ['orders.example.com', '*'] }));
      expect(causes).toEqual([
        { field: 'spec.hosts[1]', reason: 'FieldValueInvalid', message: 'spec.hosts[1]: Invalid value: "string": hostname cannot be wildcard' },
      ]);
    });

    it('rejects empty and missing hosts', () => {
      expect(validator.validate(serviceEntry({ hosts: [] })).causes).toEqual([
        { field: 'spec.hosts', reason: 'FieldValueInvalid', message: 'spec.hosts: Invalid value: 0: spec.hosts in body should have at least 1 items' },
      ]);
      const missing = validator.validate(serviceEntry({ hosts: undefined })).causes;
      expect(missing[0]).toEqual({ field: 'spec.hosts', reason: 'FieldValueRequired', message: 'spec.hosts: Required value' });
    });

    it('rejects a wildcard in a workloadSelector label', () => {
      const { causes } = validator.validate(serviceEntry({ workloadSelector: { labels: { app: 'orders-*' } } }));
      expect(causes).toEqual([
        {
          field: 'spec.workloadSelector.labels[app]',
          reason: 'FieldValueInvalid',
          message: 'spec.workloadSelector.labels[app]: Invalid value: "string": wildcard is not supported in selector',
        },
      ]);
    });

    it('rejects endpoints in NONE resolution and several endpoints in DNS_ROUND_ROBIN', () => {
      const two = [{ address: 'a.example.com' }, { address: 'b.example.com' }];
      expect(validator.validate(inlineServiceEntry(two, { resolution: 'NONE' })).causes.map((c) => c.message)).toEqual([
        'spec: Invalid value: "object": NONE mode cannot set endpoints',
      ]);
      expect(validator.validate(inlineServiceEntry(two, { resolution: 'DNS_ROUND_ROBIN' })).causes.map((c) => c.message)).toEqual([
        'spec: Invalid value: "object": DNS_ROUND_ROBIN mode cannot have multiple endpoints',
      ]);
    });

    it('allows CIDR addresses only with NONE or STATIC resolution', () => {
      const cidr = { addresses: ['10.1.0.0/16'] };
      expect(validator.validate(serviceEntry({ ...cidr, resolution: 'STATIC' })).causes).toEqual([]);
      expect(validator.validate(serviceEntry({ ...cidr, resolution: 'DNS' })).causes.map((c) => c.message)).toEqual([
        'spec: Invalid value: "object": CIDR addresses are allowed only for NONE/STATIC resolution types',
      ]);
    });

    it('rejects an enum value the schema does not list', () => {
      const { causes } = validator.validate(serviceEntry({ resolution: 'ROUND_ROBIN' }));
      expect(causes[0]).toEqual({
        field: 'spec.resolution',
        reason: 'FieldValueNotSupported',
        message: 'spec.resolution: Unsupported value: "ROUND_ROBIN": supported values: "NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"',
      });
    });

    it('skips CEL rules when a type error makes the object malformed', () => {
      const ports = [
        { number: '8080', name: 'http', protocol: 'HTTP' },
        { number: 0, name: 'tcp', protocol: 'TCP' },
      ];
      const { causes } = validator.validate(serviceEntry({ ports }));
      expect(causes).toEqual([
        {
          field: 'spec.ports[0].number',
          reason: 'FieldValueTypeInvalid',
          message: 'spec.ports[0].number: Invalid value: "string": spec.ports[0].number in body must be of type integer: "string"',
        },
        {
          field: '<nil>',
          reason: 'FieldValueInvalid',
          message:
            '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
        },
      ]);
    });

    it('drops nulls of non-nullable fields before validating, as the server does', () => {
      expect(validator.validate(serviceEntry({ location: null, exportTo: null })).causes).toEqual([]);
      expect(validator.validate(serviceEntry({ hosts: null })).causes[0]?.message).toBe('spec.hosts: Required value');
    });
  });

  describe('WorkloadEntry rules', () => {
    it('rejects a port name with a dot', () => {
      const { causes } = validator.validate(workloadEntry({ ports: { 'http.8080': 8080 } }));
      expect(causes).toEqual([
        { field: 'spec.ports', reason: 'FieldValueInvalid', message: 'spec.ports: Invalid value: "object": port name must be valid' },
      ]);
    });

    it('rejects a port outside 1-65535 in the ports map', () => {
      const { causes } = validator.validate(workloadEntry({ ports: { 'http-8080': 70000 } }));
      expect(causes.map((c) => c.message)).toEqual(['spec.ports[http-8080]: Invalid value: "integer": port must be between 1-65535']);
    });

    it('requires an address (or a network)', () => {
      const we = workloadEntry();
      delete (we.spec as Json).address;
      expect(validator.validate(we).causes).toEqual([
        { field: 'spec', reason: 'FieldValueInvalid', message: 'spec: Invalid value: "object": Address is required' },
      ]);
      expect(validator.validate({ ...we, spec: { ...(we.spec as Json), network: 'vpc-1' } }).causes).toEqual([]);
    });

    it('rejects unix socket addresses that are relative or carry ports', () => {
      const relative = validator.validate(workloadEntry({ address: 'unix://run/app.sock', ports: undefined })).causes;
      expect(relative.map((c) => c.message)).toEqual(['spec.address: Invalid value: "string": UDS must be an absolute path or abstract socket']);
      const withPorts = validator.validate(workloadEntry({ address: 'unix:///run/app.sock' })).causes;
      expect(withPorts.map((c) => c.message)).toEqual(['spec: Invalid value: "object": UDS may not include ports']);
    });

    it('reports a rule that errors at evaluation with the API server wording', () => {
      // substring(7, 8) of "unix://" is out of range; the next rule still runs.
      const { causes } = validator.validate(workloadEntry({ address: 'unix://', ports: undefined }));
      expect(fields(causes)).toEqual(['spec.address', 'spec.address']);
      expect(causes[0]?.message).toMatch(/^spec\.address: Invalid value: "string": .+ evaluating rule: UDS must be an absolute path or abstract socket$/);
      expect(causes[1]?.message).toBe('spec.address: Invalid value: "string": UDS may not be a dir');
    });
  });

  describe('DestinationRule rules', () => {
    it('rejects a duration below 1ms', () => {
      const dr = destinationRule();
      const subsets = (dr.spec as { subsets: Json[] }).subsets;
      subsets[1] = { ...subsets[1], trafficPolicy: { connectionPool: { http: { idleTimeout: '500us' } } } };
      expect(validator.validate(dr).causes).toEqual([
        {
          field: 'spec.subsets[1].trafficPolicy.connectionPool.http.idleTimeout',
          reason: 'FieldValueInvalid',
          message: 'spec.subsets[1].trafficPolicy.connectionPool.http.idleTimeout: Invalid value: "string": must be a valid duration greater than 1ms',
        },
      ]);
    });

    it('accepts exactly 1ms and rejects a string that is not a duration', () => {
      const ok = destinationRule({ trafficPolicy: { connectionPool: { tcp: { connectTimeout: '1ms' } } } });
      expect(validator.validate(ok).causes).toEqual([]);
      const bad = destinationRule({ trafficPolicy: { connectionPool: { tcp: { connectTimeout: 'soon' } } } });
      expect(validator.validate(bad).causes.map((c) => c.message)).toEqual([
        expect.stringMatching(/^spec\.trafficPolicy\.connectionPool\.tcp\.connectTimeout: Invalid value: "string": .*duration.* evaluating rule: must be a valid duration greater than 1ms$/),
      ]);
    });

    it('rejects wildcards and empty keys in workloadSelector.matchLabels', () => {
      const at = 'spec.workloadSelector.matchLabels';
      const messages = (matchLabels: Json) => validator.validate(destinationRule({ workloadSelector: { matchLabels } })).causes.map((c) => c.message);
      expect(messages({ app: 'orders' })).toEqual([]);
      expect(messages({ 'app*': 'orders' })).toEqual([`${at}: Invalid value: "object": wildcard not allowed in label key match`]);
      expect(messages({ '': 'orders' })).toEqual([`${at}: Invalid value: "object": key must not be empty`]);
      expect(messages({ app: 'ord*' })).toEqual([`${at}[app]: Invalid value: "string": wildcard not allowed in label value match`]);
    });

    it('rejects two load balancer kinds at once (oneOf)', () => {
      const dr = destinationRule({ trafficPolicy: { loadBalancer: { simple: 'RANDOM', consistentHash: { useSourceIp: true } } } });
      expect(validator.validate(dr).causes.map((c) => c.message)).toEqual([
        'spec.trafficPolicy.loadBalancer: Invalid value: "": "spec.trafficPolicy.loadBalancer" must validate one and only one schema (oneOf). Found 2 valid alternatives',
      ]);
    });
  });

  describe('VirtualService rules', () => {
    it('rejects a per-try timeout below 1ms (CEL)', () => {
      const host = 'orders.default.servicecomb';
      const vs = virtualService({ http: [{ name: 'api', route: [{ destination: { host } }], retries: { attempts: 2, perTryTimeout: '500us' } }] });
      expect(validator.validate(vs).causes).toEqual([
        {
          field: 'spec.http[0].retries.perTryTimeout',
          reason: 'FieldValueInvalid',
          message: 'spec.http[0].retries.perTryTimeout: Invalid value: "string": must be a valid duration greater than 1ms',
        },
      ]);
    });

    it('reports a field the CRD does not know', () => {
      const vs = virtualService({ retriesEverywhere: true });
      expect(validator.validate(vs, { strictUnknownFields: true }).causes.map((c) => c.field)).toEqual(['spec.retriesEverywhere']);
    });
  });

  describe('unknown fields', () => {
    const withUnknown = (): Json => {
      const se = serviceEntry();
      (se.spec as Json).portz = [];
      ((se.spec as { ports: Json[] }).ports[0] as Json).targetport = 80;
      (se.metadata as Json).labelz = {};
      return se;
    };

    it('are pruned with a warning by default', () => {
      expect(validator.validate(withUnknown())).toEqual({
        causes: [],
        warnings: ['unknown field "spec.ports[0].targetport"', 'unknown field "spec.portz"', 'unknown field "metadata.labelz"'],
      });
    });

    it('are errors with strictUnknownFields', () => {
      const { causes, warnings } = validator.validate(withUnknown(), { strictUnknownFields: true });
      expect(warnings).toEqual([]);
      expect(causes).toEqual([
        { field: 'spec.ports[0].targetport', reason: 'UnknownField', message: 'spec.ports[0].targetport: strict decoding error: unknown field "spec.ports[0].targetport"' },
        { field: 'spec.portz', reason: 'UnknownField', message: 'spec.portz: strict decoding error: unknown field "spec.portz"' },
        { field: 'metadata.labelz', reason: 'UnknownField', message: 'metadata.labelz: strict decoding error: unknown field "metadata.labelz"' },
      ]);
    });

    it('leave the checked object as it was', () => {
      const se = withUnknown();
      (se.spec as Json).location = null;
      const before = structuredClone(se);
      validator.validate(se);
      expect(se).toEqual(before);
    });

    it('are kept under status, which preserves unknown fields', () => {
      expect(validator.validate({ ...serviceEntry(), status: { anything: { goes: 1 } } }, { strictUnknownFields: true }).causes).toEqual([]);
    });
  });

  describe('assertValidIstioObjects', () => {
    it('passes valid objects', () => {
      expect(() => assertValidIstioObjects([serviceEntry(), workloadEntry(), destinationRule()])).not.toThrow();
    });

    it('lists every invalid object with its causes, unknown fields included', () => {
      const badSe = serviceEntry({ hosts: ['*'] });
      const badWe = workloadEntry({ extra: true });
      let message = '';
      try {
        assertValidIstioObjects([workloadEntry(), badSe, badWe]);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toBe(
        [
          '2 of 3 Istio objects are invalid:',
          '#1 ServiceEntry mesh/orders:',
          '  spec.hosts[0]: Invalid value: "string": hostname cannot be wildcard',
          '#2 WorkloadEntry mesh/orders-10-0-0-7-8080:',
          '  spec.extra: strict decoding error: unknown field "spec.extra"',
        ].join('\n'),
      );
    });
  });
});

describe('CEL rule compilation', () => {
  const schemaWithRule = (rule: string) =>
    buildSchemaNode({ type: 'object', properties: { spec: { type: 'integer', 'x-kubernetes-validations': [{ rule, message: 'checked' }] } } });

  it('fails loudly at load time for a rule that does not parse or names an unknown function', () => {
    expect(() => compileCelRules(schemaWithRule('self >'))).toThrow(/rule at spec does not compile: "self >"/);
    expect(() => compileCelRules(schemaWithRule('isIP(self)'))).toThrow(/undeclared reference to 'isIP'/);
    expect(() => compileCelRules(schemaWithRule('self > other'))).toThrow(/undeclared reference to 'other'/);
  });

  it('runs transition rules only when an old object is given', () => {
    const rules = compileCelRules(schemaWithRule('self >= oldSelf'));
    expect(rules?.usesOldSelf).toBe(true);
    expect(rules?.evaluate({ spec: 1 })).toEqual([]);
    expect(rules?.evaluate({ spec: 2 }, { spec: 1 })).toEqual([]);
    expect(rules?.evaluate({ spec: 1 }, { spec: 2 }).map((c) => c.message)).toEqual(['spec: Invalid value: "integer": checked']);
  });

  it('compiles every rule in the shared CRDs', () => {
    const schemas = loadCrdSchemas(resolveSharedDir());
    const counts = [...(schemas ?? new Map()).values()].map((props) => compileCelRules(buildSchemaNode(props))?.expressionCount ?? 0);
    // ServiceEntry, WorkloadEntry, DestinationRule, VirtualService, Sidecar and EnvoyFilter each have rules.
    expect(counts).toHaveLength(6);
    expect(counts.every((n) => n > 0)).toBe(true);
  });
});

describe('istio-validator without the shared CRDs', () => {
  const savedEnv = process.env.SC2MESH_SHARED_DIR;
  const tmp = mkdtempSync(path.join(tmpdir(), 'istio-validator-'));
  const emptyA = path.join(tmp, 'a');
  const emptyB = path.join(tmp, 'b');
  let validator: IstioValidator;
  let notices: string[];

  beforeAll(() => {
    mkdirSync(emptyA);
    mkdirSync(emptyB);
    process.env.SC2MESH_SHARED_DIR = emptyA;
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      validator = loadIstioValidator();
      loadIstioValidator({ sharedDir: emptyB });
      notices = write.mock.calls.map((call) => String(call[0]));
    } finally {
      write.mockRestore();
    }
  });
  afterAll(() => {
    if (savedEnv === undefined) delete process.env.SC2MESH_SHARED_DIR;
    else process.env.SC2MESH_SHARED_DIR = savedEnv;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('falls back to @kubernetes-models/istio and says so once', () => {
    expect(validator.celEnabled).toBe(false);
    expect(validator.crdSource).toBe('kubernetes-models');
    expect(notices).toEqual([`${MISSING_CRDS_NOTICE}\n`]);
  });

  it('still accepts valid objects', () => {
    for (const obj of [serviceEntry(), inlineServiceEntry([{ address: '2001:db8::7', ports: { http: 80 } }]), workloadEntry(), destinationRule(), virtualService()]) {
      expect(validator.validate(obj, { strictUnknownFields: true })).toEqual({ causes: [], warnings: [] });
    }
  });

  it('knows Sidecars and EnvoyFilters too, keeping the free-form patch value of a filter', () => {
    const sidecar = { apiVersion: API, kind: 'Sidecar', metadata: { name: 'cart', namespace: 'shop' }, spec: { workloadSelector: { labels: { app: 'cart' } }, egress: [{ hosts: ['./*'] }] } };
    const value = { name: 'f', typed_config: { '@type': 'type.googleapis.com/x', token_bucket: { max_tokens: 5 } } };
    const filter = { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'rl', namespace: 'istio-system' }, spec: { configPatches: [{ applyTo: 'HTTP_FILTER', patch: { operation: 'INSERT_BEFORE', value } }] } };
    expect(validator.validate(sidecar, { strictUnknownFields: true })).toEqual({ causes: [], warnings: [] });
    expect(validator.validate(filter, { strictUnknownFields: true })).toEqual({ causes: [], warnings: [] });
    expect(validator.validate({ ...sidecar, spec: { ...sidecar.spec, extra: 1 } }).warnings).toEqual(['unknown field "spec.extra"']);
  });

  it('still rejects a non-integer port and an empty host list', () => {
    const { causes } = validator.validate(serviceEntry({ hosts: [], ports: [{ number: 80.5, name: 'http', protocol: 'HTTP' }] }));
    expect(causes).toEqual([
      { field: 'spec.hosts', reason: 'FieldValueInvalid', message: 'spec.hosts: Invalid value: 0: spec.hosts in body should have at least 1 items' },
      {
        field: 'spec.ports[0].number',
        reason: 'FieldValueTypeInvalid',
        message: 'spec.ports[0].number: Invalid value: "number": spec.ports[0].number in body must be of type integer: "number"',
      },
    ]);
  });

  it('still checks metadata and unknown fields, but not CEL rules', () => {
    expect(fields(validator.validate(serviceEntry({}, { name: 'Bad_Name' })).causes)).toEqual(['metadata.name']);
    expect(validator.validate(workloadEntry({ extra: 1 })).warnings).toEqual(['unknown field "spec.extra"']);
    // Only a CEL rule forbids port 0; the fallback cannot see it.
    expect(validator.validate(serviceEntry({ ports: [{ number: 0, name: 'tcp', protocol: 'TCP' }] })).causes).toEqual([]);
  });

  it('refuses a half-present CRD folder', () => {
    const partial = path.join(tmp, 'partial');
    mkdirSync(path.join(partial, 'reference', 'istio'), { recursive: true });
    writeFileSync(path.join(partial, 'reference', 'istio', 'workloadentries.crd.yaml'), 'kind: CustomResourceDefinition\n');
    expect(() => loadIstioValidator({ sharedDir: partial, quiet: true })).toThrow(/lacks serviceentries\.crd\.yaml, destinationrules\.crd\.yaml/);
  });
});
