// The in-cluster deployment (deploy/kubernetes, the Dockerfile) checked without a cluster or
// Docker: every overlay builds (kustomize's rules, emulated; compared with `kubectl
// kustomize` where kubectl is installed) into objects that pass Kubernetes' own schemas with
// no undeclared field; the pods run as the image's non-root user on a read-only root
// filesystem; probes and Service point at the port sc2mesh serves; the container's
// environment is a configuration sc2mesh accepts, with the state each overlay promises; the
// RBAC is deploy/rbac.yaml's; the image holds what its entry point imports.
import { describe, it, expect } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { builtinModules } from 'node:module';
import { build as esbuild } from 'esbuild';
import { parseAllDocuments } from 'yaml';
import { loadConfig, type Sc2meshConfig } from '../../lib/config/index.ts';
import { kustomizeBuild, readYamlDocuments, type KubeObject } from '../support/kustomize-build.ts';
import { schemaErrors, unknownFields } from '../support/kube-manifest-schema.ts';

const ROOT = resolve('.');
const KUBE_DIR = join(ROOT, 'deploy', 'kubernetes');
const OVERLAYS = ['embedded-state', 'dynamodb'] as const;
type Overlay = (typeof OVERLAYS)[number];
const NAMESPACE = 'sc2mesh';

const built = (name: Overlay): KubeObject[] => kustomizeBuild(join(KUBE_DIR, 'overlays', name)).objects;

function only(objects: readonly KubeObject[], kind: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as KubeObject;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  serviceAccountName?: string;
  enableServiceLinks?: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string }; emptyDir?: Record<string, unknown> }[];
}
interface DeploymentSpec {
  replicas?: number;
  strategy?: { type?: string };
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

const deploymentSpec = (objects: readonly KubeObject[]): DeploymentSpec => only(objects, 'Deployment')['spec'] as DeploymentSpec;
const container = (objects: readonly KubeObject[]): Container => {
  const [c, ...rest] = deploymentSpec(objects).template.spec.containers;
  if (c === undefined || rest.length > 0) throw new Error('expected one container');
  return c;
};

/** The environment the kubelet gives the container (fieldRefs resolved), plus what every pod gets. */
function podEnv(objects: readonly KubeObject[]): Record<string, string> {
  const namespace = only(objects, 'Deployment').metadata.namespace ?? 'default';
  const env: Record<string, string> = { HOME: '/home/node', KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
  for (const v of container(objects).env ?? []) {
    if (v.value !== undefined) env[v.name] = v.value;
    else if (v.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[v.name] = namespace;
    else throw new Error(`env ${v.name}: a source this test does not resolve`);
  }
  return env;
}

const podConfig = (objects: readonly KubeObject[]): Promise<Sc2meshConfig> => loadConfig({ env: podEnv(objects), cwd: '/app' });

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFilesUnder(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

/** Key-order-independent form, for comparing objects from two builders. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
}
const sortedCanonical = (objects: readonly unknown[]): string[] => objects.map(canonical).sort();

describe('the schema checks themselves', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
  };
  it('accept a minimal valid Deployment', () => {
    expect(schemaErrors(deployment)).toEqual([]);
    expect(unknownFields(deployment)).toEqual([]);
  });
  it('catch a wrong value type and an undeclared field', () => {
    const bad = structuredClone(deployment) as unknown as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    bad.spec.template.spec.containers[0] = { name: 'c', image: 'i', readinesProbe: { httpGet: { path: '/healthz', port: 1 } }, securityContext: { runAsUser: 'root' } };
    expect(schemaErrors(bad as unknown as Record<string, unknown>)).toEqual(['/spec/template/spec/containers/0/securityContext/runAsUser: must be integer']);
    expect(unknownFields(bad as unknown as Record<string, unknown>)).toEqual(['.spec.template.spec.containers[0].readinesProbe']);
  });
});

describe('deploy/kubernetes', () => {
  it('has no YAML file that no kustomization uses', () => {
    const used = new Set(['base', ...OVERLAYS.map((o) => join('overlays', o))].flatMap((d) => kustomizeBuild(join(KUBE_DIR, d)).files));
    const stray = yamlFilesUnder(KUBE_DIR).filter((f) => !used.has(f)).map((f) => relative(ROOT, f));
    expect(stray).toEqual([]);
  });

  it('is built by rules that refuse what kustomize refuses', () => {
    // Why base/rbac.yaml mirrors deploy/rbac.yaml instead of naming it.
    const tmp = mkdtempSync(join(tmpdir(), 'sc2mesh-kustomize-'));
    try {
      const base = join(tmp, 'deploy', 'kubernetes', 'base');
      mkdirSync(base, { recursive: true });
      writeFileSync(join(tmp, 'deploy', 'rbac.yaml'), readFileSync(join(ROOT, 'deploy', 'rbac.yaml')));
      const kustomization = (resources: string[]): string => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [${resources.join(', ')}]\n`;
      writeFileSync(join(base, 'kustomization.yaml'), kustomization(['../../rbac.yaml']));
      expect(() => kustomizeBuild(base)).toThrow('is not in or below');
      writeFileSync(join(tmp, 'deploy', 'kustomization.yaml'), kustomization(['rbac.yaml']));
      writeFileSync(join(base, 'kustomization.yaml'), kustomization(['../..']));
      expect(() => kustomizeBuild(base)).toThrow('cycle');
      writeFileSync(join(base, 'kustomization.yaml'), `${kustomization([])}images: [{ name: sc2mesh, newTag: '1' }]\n`);
      expect(() => kustomizeBuild(base)).toThrow('field images is not emulated');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  for (const overlay of OVERLAYS) {
    describe(`overlays/${overlay}`, () => {
      it("builds into objects that pass Kubernetes' schemas, with no undeclared field", () => {
        const objects = built(overlay);
        expect(objects.map((o) => o.kind).sort()).toEqual(
          overlay === 'embedded-state'
            ? ['Deployment', 'PersistentVolumeClaim', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']
            : ['Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'],
        );
        for (const o of objects) {
          const at = `${o.kind}/${o.metadata.name}`;
          expect({ at, errors: schemaErrors(o) }).toEqual({ at, errors: [] });
          expect({ at, unknown: unknownFields(o) }).toEqual({ at, unknown: [] });
          expect({ at, namespace: o.metadata.namespace }).toEqual({ at, namespace: NAMESPACE });
        }
      });

      (hasKubectl ? it : it.skip)(`builds as \`kubectl kustomize\` builds it${hasKubectl ? '' : ' (kubectl not installed: skipped)'}`, () => {
        const text = execFileSync('kubectl', ['kustomize', join(KUBE_DIR, 'overlays', overlay)], { encoding: 'utf8' });
        const fromKubectl = parseAllDocuments(text).map((d) => d.toJS() as unknown);
        expect(sortedCanonical(built(overlay))).toEqual(sortedCanonical(fromKubectl));
      });

      it('runs as a non-root numeric user on a read-only root filesystem, with no privilege to gain', () => {
        const spec = deploymentSpec(built(overlay)).template.spec;
        expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
        expect(container(built(overlay)).securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        // SC2MESH_* service-link variables would stop the start (unknown configuration variables).
        expect(spec.enableServiceLinks).toBe(false);
        // The only writable places are volumes.
        const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
        for (const m of container(built(overlay)).volumeMounts ?? []) expect(volumes.has(m.name)).toBe(true);
      });

      it('configures sc2mesh as the pod needs: in-cluster, serving on the probed port, writing to its own namespace', async () => {
        const objects = built(overlay);
        const config = await podConfig(objects);
        expect(config.kube.mode).toBe('in-cluster');
        expect(config.render.namespace).toBe(NAMESPACE);
        expect(config.server.host).toBe('0.0.0.0');
        const c = container(objects);
        const metricsPort = c.ports?.find((p) => p.name === 'metrics');
        expect(metricsPort?.containerPort).toBe(config.server.port);
        expect(c.readinessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
        expect(c.livenessProbe?.httpGet).toEqual({ path: '/metrics', port: 'metrics' });

        const service = only(objects, 'Service')['spec'] as { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] };
        expect(service.ports).toEqual([{ name: 'metrics', port: config.server.port, targetPort: 'metrics', protocol: 'TCP' }]);
        const spec = deploymentSpec(objects);
        expect(spec.template.metadata.labels).toMatchObject(service.selector);
        expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
      });

      it('runs under the ServiceAccount the namespace-scoped Role is bound to', () => {
        const objects = built(overlay);
        const sa = only(objects, 'ServiceAccount');
        const binding = only(objects, 'RoleBinding') as KubeObject & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace?: string }[] };
        expect(deploymentSpec(objects).template.spec.serviceAccountName).toBe(sa.metadata.name);
        expect(binding.roleRef).toMatchObject({ kind: 'Role', name: only(objects, 'Role').metadata.name });
        expect(binding.subjects).toContainEqual({ kind: 'ServiceAccount', name: sa.metadata.name, namespace: NAMESPACE });
        expect(objects.some((o) => o.kind.startsWith('Cluster'))).toBe(false);
      });

      it('requests resources and limits memory', () => {
        const r = container(built(overlay)).resources;
        expect(r?.requests).toEqual({ cpu: '50m', memory: '256Mi' });
        expect(r?.limits).toEqual({ memory: '512Mi' });
      });
    });
  }

  it('embedded-state: one replica, Recreate, the state folder on the claimed volume', async () => {
    const objects = built('embedded-state');
    const spec = deploymentSpec(objects);
    expect(spec.replicas).toBe(1);
    expect(spec.strategy).toEqual({ type: 'Recreate' });
    const config = await podConfig(objects);
    expect(config.state.table).toBe('');
    const pvc = only(objects, 'PersistentVolumeClaim');
    const volume = spec.template.spec.volumes?.find((v) => v.persistentVolumeClaim !== undefined);
    expect(volume?.persistentVolumeClaim?.claimName).toBe(pvc.metadata.name);
    expect((pvc['spec'] as { accessModes: string[] }).accessModes).toEqual(['ReadWriteOnce']);
    const mount = container(objects).volumeMounts?.find((m) => m.name === volume?.name);
    expect(mount?.readOnly).toBeUndefined();
    expect(config.state.dir.startsWith(`${mount?.mountPath ?? '?'}/`)).toBe(true);
  });

  it('dynamodb: two replicas rolling, the table and its region, the IAM role on the ServiceAccount, no volume', async () => {
    const objects = built('dynamodb');
    const spec = deploymentSpec(objects);
    expect(spec.replicas).toBe(2);
    expect(spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const config = await podConfig(objects);
    expect(config.state.table).toBe('sc2mesh-state');
    expect(config.state.region).toBe('eu-west-1');
    expect(config.state.endpoint).toBe('');
    expect(only(objects, 'ServiceAccount').metadata['annotations']).toEqual({ 'eks.amazonaws.com/role-arn': expect.stringMatching(/^arn:aws:iam::\d{12}:role\//) });
    expect(spec.template.spec.volumes?.some((v) => v.persistentVolumeClaim !== undefined)).toBe(false);
    const pdb = only(objects, 'PodDisruptionBudget')['spec'] as { maxUnavailable: number; selector: { matchLabels: Record<string, string> } };
    expect(pdb.maxUnavailable).toBe(1);
    expect(spec.template.metadata.labels).toMatchObject(pdb.selector.matchLabels);
  });

  it("base/rbac.yaml holds deploy/rbac.yaml's objects (kustomize cannot reference that file: it mirrors it)", () => {
    expect(sortedCanonical(readYamlDocuments(join(KUBE_DIR, 'base', 'rbac.yaml')))).toEqual(sortedCanonical(readYamlDocuments(join(ROOT, 'deploy', 'rbac.yaml'))));
  });
});

/** Dockerfile instructions: comments dropped, continuation lines joined. */
function dockerInstructions(file: string): { op: string; args: string }[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: { op: string; args: string }[] = [];
  let pending = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = `${pending}${line}`;
    pending = '';
    const match = /^(\w+)\s+(.*)$/.exec(full);
    if (match !== null) out.push({ op: (match[1] ?? '').toUpperCase(), args: match[2] ?? '' });
  }
  return out;
}

describe('Dockerfile (sc2mesh run)', () => {
  const instructions = dockerInstructions(join(ROOT, 'Dockerfile'));
  const lastFrom = instructions.map((i) => i.op).lastIndexOf('FROM');
  const finalStage = instructions.slice(lastFrom);

  it('builds on Node 24 in every stage', () => {
    const froms = instructions.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]);
    expect(froms.length).toBeGreaterThan(0);
    for (const image of froms) expect(image).toMatch(/^node:24(-|$)/);
  });

  it('runs as a non-root numeric user, the one the Deployment declares', () => {
    const users = finalStage.filter((i) => i.op === 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = (users[0]?.args ?? '').split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    const pod = deploymentSpec(built('embedded-state')).template.spec.securityContext;
    expect(pod).toMatchObject({ runAsUser: uid, runAsGroup: gid });
  });

  it('starts `sc2mesh run` through the package bin, exec form (SIGTERM reaches node)', () => {
    const entry = finalStage.filter((i) => i.op === 'ENTRYPOINT');
    expect(entry).toHaveLength(1);
    const argv = JSON.parse(entry[0]?.args ?? '[]') as string[];
    expect(argv[0]).toBe('node');
    expect(argv.slice(-2)).toEqual(['bin/sc2mesh.js', 'run']);
    expect(finalStage.some((i) => i.op === 'CMD')).toBe(false);
  });

  it('installs production dependencies only, from the lock file', () => {
    const runs = instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci\b/.test(r) && r.includes('--omit=dev'))).toBe(true);
  });

  it('copies what the entry point needs, and .dockerignore keeps it in the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const isIgnored = (path: string): boolean => ignored.some((p) => p === path || path.startsWith(`${p}/`));
    const sources = (file: string): string[] =>
      dockerInstructions(file)
        .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
        .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    const copied = sources(join(ROOT, 'Dockerfile'));
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'bin', 'lib']));
    // Both images build from this context: neither may lose a source to .dockerignore.
    for (const path of [...copied, ...sources(join(ROOT, 'watcher', 'Dockerfile'))]) {
      expect({ path, exists: existsSync(join(ROOT, path)), ignored: isIgnored(path) }).toEqual({ path, exists: true, ignored: false });
    }
    // A local dist/ bundle would be preferred by bin/sc2mesh.js over the copied sources.
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist']));
  });

  it('carries every package `sc2mesh` imports: each is a production dependency', async () => {
    const result = await esbuild({
      entryPoints: [join(ROOT, 'lib', 'cli', 'main.ts')],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
    });
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const input of Object.values(result.metafile.inputs)) {
      for (const i of input.imports) {
        if (i.external !== true || i.path.startsWith('node:') || builtins.has(i.path)) continue;
        imported.add(i.path.startsWith('@') ? i.path.split('/').slice(0, 2).join('/') : (i.path.split('/')[0] ?? i.path));
      }
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((name) => pkg.dependencies[name] === undefined).sort()).toEqual([]);
  });
});

describe('README', () => {
  it('says how to build the image and apply an overlay', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('docker build -t sc2mesh .');
    for (const overlay of OVERLAYS) expect(readme).toContain(`kubectl apply -k deploy/kubernetes/overlays/${overlay}`);
  });
});
