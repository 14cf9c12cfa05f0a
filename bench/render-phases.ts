// Where a render of 10,000 services / 100,000 instances spends its time, phase by phase:
// `node --expose-gc bench/render-phases.ts [RUNS]` prints the median of each phase (ms)
// over RUNS renders (default 9), each phase run over every service before the next, and
// the whole render for comparison. A diagnostic for work on `render.ratio`; the bench
// figure itself stays `npm run bench -- render`.
import { performance } from 'node:perf_hooks';
import { collectGarbage, timedParse } from './timed-parse.ts';
import { renderRegistry } from '../lib/render/render-registry.ts';
import { resolveRenderOptions } from '../lib/render/options.ts';
import { groupServicesInListingOrder } from '../lib/render/service-group.ts';
import { collectCandidates } from '../lib/render/candidates.ts';
import { parseInstances } from '../lib/render/instance-endpoints.ts';
import { buildObjects, type ServiceIdentity } from '../lib/render/build-objects.ts';
import { hostFor, objectNameFor, serviceKeyHash } from '../lib/names/service-names.ts';
import { generateRegistry } from '../test/support/registry-generator.ts';

const runs = Number(process.argv[2] ?? '9');
if (!Number.isInteger(runs) || runs < 1) throw new Error('usage: render-phases.ts [RUNS]');
const text = JSON.stringify(generateRegistry({ services: 10_000, instancesPerService: 10, seed: 7 }));
const options = resolveRenderOptions();
const phases = ['parse', 'validate', 'group', 'names', 'candidates', 'endpoints', 'objects', 'whole'] as const;
const rows: Record<(typeof phases)[number], number>[] = [];

for (let r = 0; r < runs; r++) {
  const { dump, parseMs, validateMs } = timedParse(text);
  const t2 = performance.now();
  const groups = groupServicesInListingOrder(dump.services);
  const t3 = performance.now();
  const ids: ServiceIdentity[] = groups.map((g) => {
    const keyHash = serviceKeyHash(g.key);
    return { name: objectNameFor(options.nameTemplate, g.parts, keyHash), host: hostFor(options.hostTemplate, g.parts), keyHash };
  });
  const t4 = performance.now();
  const warnings: string[] = [];
  const candidates = groups.map((g) => collectCandidates(g, warnings));
  const t5 = performance.now();
  const parsed = candidates.map((c) => parseInstances(c, options, warnings));
  const t6 = performance.now();
  for (let i = 0; i < groups.length; i++) {
    const p = parsed[i];
    const g = groups[i];
    const id = ids[i];
    if (p !== undefined && g !== undefined && id !== undefined && p.servicePorts.size > 0) buildObjects(g, id, p.servicePorts, p.published, options, warnings);
  }
  const t7 = performance.now();
  collectGarbage();
  const t8 = performance.now();
  renderRegistry(dump.services, options);
  const t9 = performance.now();
  rows.push({ parse: parseMs, validate: validateMs, group: t3 - t2, names: t4 - t3, candidates: t5 - t4, endpoints: t6 - t5, objects: t7 - t6, whole: t9 - t8 });
}

const median = (phase: (typeof phases)[number]): number => Math.round(rows.map((r) => r[phase]).sort((a, b) => a - b)[Math.floor(rows.length / 2)] as number);
process.stdout.write(`${JSON.stringify(Object.fromEntries(phases.map((p) => [p, median(p)])))}\n`);
