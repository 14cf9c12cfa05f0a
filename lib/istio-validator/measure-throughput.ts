// Prints validate() throughput (objects/second) for typical objects. A figure to read,
// not a test: run it with
//   npm exec -- node --disable-warning=ExperimentalWarning lib/istio-validator/measure-throughput.ts
import { loadIstioValidator } from './index.ts';

const API = 'networking.istio.io/v1';
const managed = { 'app.kubernetes.io/managed-by': 'sc2mesh', 'sc2mesh.io/source': 'registry-a' };

const samples: Record<string, unknown> = {
  ServiceEntry: {
    apiVersion: API,
    kind: 'ServiceEntry',
    metadata: { name: 'orders-default-app', namespace: 'mesh', labels: managed, annotations: { 'sc2mesh.io/service-id': 'a1b2c3' } },
    spec: {
      hosts: ['orders.app.default.servicecomb'],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      ports: [
        { number: 8080, name: 'http-8080', protocol: 'HTTP' },
        { number: 7070, name: 'tcp-7070', protocol: 'TCP' },
      ],
      workloadSelector: { labels: { app: 'orders', 'sc2mesh.io/service': 'orders-default-app' } },
    },
  },
  WorkloadEntry: {
    apiVersion: API,
    kind: 'WorkloadEntry',
    metadata: { name: 'orders-default-app-10-0-0-7', namespace: 'mesh', labels: managed, annotations: { 'sc2mesh.io/instance-id': 'd4e5f6' } },
    spec: {
      address: '10.0.0.7',
      ports: { 'http-8080': 8080, 'tcp-7070': 7070 },
      labels: { app: 'orders', version: '1.0.0', 'sc2mesh.io/service': 'orders-default-app' },
      locality: 'eu-west-1/eu-west-1a',
    },
  },
  DestinationRule: {
    apiVersion: API,
    kind: 'DestinationRule',
    metadata: { name: 'orders-default-app', namespace: 'mesh', labels: managed },
    spec: {
      host: 'orders.app.default.servicecomb',
      trafficPolicy: { connectionPool: { tcp: { connectTimeout: '250ms' } }, loadBalancer: { simple: 'ROUND_ROBIN' } },
      subsets: [
        { name: 'v1-0-0', labels: { version: '1.0.0' } },
        { name: 'v2-0-0', labels: { version: '2.0.0' } },
      ],
    },
  },
};

function measure(validate: (obj: unknown) => number, obj: unknown, seconds: number): number {
  for (let i = 0; i < 2000; i++) validate(obj);
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 500; i++) {
      if (validate(obj) !== 0) throw new Error('sample object is invalid');
    }
    count += 500;
  }
  return count / ((performance.now() - start) / 1000);
}

const loadStart = performance.now();
const validator = loadIstioValidator();
console.log(`load (${validator.crdSource}, CEL ${validator.celEnabled ? 'on' : 'off'}): ${(performance.now() - loadStart).toFixed(0)} ms`);
for (const [kind, obj] of Object.entries(samples)) {
  const rate = measure((o) => validator.validate(o, { strictUnknownFields: true }).causes.length, obj, 2);
  console.log(`${kind}: ${Math.round(rate).toLocaleString('en-US')} objects/s`);
}
