// Measures one render in a fresh process, so peak RSS is the render's own: reads a dump
// file, times JSON.parse, then times validation + render, and prints one JSON line.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseGovernDump } from '../lib/model/govern-dump.ts';
import { renderRegistry } from '../lib/render/render-registry.ts';
import { resolveRenderOptions } from '../lib/render/options.ts';
import { generateRegistry } from '../test/support/registry-generator.ts';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: render-worker.ts DUMP.json');
const text = readFileSync(file, 'utf8');

// A warm-up render of a small registry keeps JIT compilation out of the measured one
// (JSON.parse is native and needs none), so the ratio compares steady states.
const warm = generateRegistry({ services: 300, instancesPerService: 10, seed: 99 });
renderRegistry(parseGovernDump(JSON.parse(JSON.stringify(warm)) as unknown).services, resolveRenderOptions());

const t0 = performance.now();
const raw = JSON.parse(text) as unknown;
const t1 = performance.now();
const dump = parseGovernDump(raw);
const t2 = performance.now();
const result = renderRegistry(dump.services, resolveRenderOptions());
const t3 = performance.now();

const instances = dump.services.reduce((n, d) => n + (d.instances?.length ?? 0), 0);
process.stdout.write(
  `${JSON.stringify({
    services: dump.services.length,
    instances,
    objects: result.objects.length,
    bytes: text.length,
    parseMs: t1 - t0,
    validateMs: t2 - t1,
    renderOnlyMs: t3 - t2,
    renderMs: t3 - t1,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
