// Measures the render in a fresh process, so peak RSS is the render's own: reads a dump
// file, then RUNS times parses it (JSON.parse) and validates + renders it, and prints one
// JSON line with every run's figures. One run on a shared machine swings by tens of
// per cent, so the caller reports the median run.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseGovernDump } from '../lib/model/govern-dump.ts';
import { collectGarbage, timedParse } from './timed-parse.ts';
import { renderRegistry } from '../lib/render/render-registry.ts';
import { resolveRenderOptions } from '../lib/render/options.ts';
import { generateRegistry } from '../test/support/registry-generator.ts';
import { contentHashText } from '../lib/render/content-hash.ts';
import { nameSuffixHash, shortHash } from '../lib/names/hash.ts';
import { INSTANCE_ID_ANNOTATION } from '../lib/model/ownership.ts';
import type { IstioObject } from '../lib/model/istio.ts';

export interface RenderRun {
  parseMs: number;
  validateMs: number;
  renderOnlyMs: number;
  /** validation + render: everything after JSON.parse */
  renderMs: number;
}

export interface RenderWorkerOutput {
  services: number;
  instances: number;
  objects: number;
  bytes: number;
  runs: RenderRun[];
  /** each run: sha256 alone of what one render hashes (every object's content, every WorkloadEntry's instance id, every service key) */
  hashRuns: number[];
  peakRssMb: number;
}

const file = process.argv[2];
const runCount = Number(process.argv[3] ?? '5');
if (file === undefined || !Number.isInteger(runCount) || runCount < 1) throw new Error('usage: render-worker.ts DUMP.json [RUNS]');
const text = readFileSync(file, 'utf8');
const options = resolveRenderOptions();

// A warm-up render of a small registry keeps JIT compilation out of the measured ones
// (JSON.parse is native and needs none), so the ratio compares steady states.
const warm = generateRegistry({ services: 300, instancesPerService: 10, seed: 99 });
renderRegistry(parseGovernDump(JSON.parse(JSON.stringify(warm)) as unknown).services, options);

const runs: RenderRun[] = [];
let summary = { services: 0, instances: 0, objects: 0 };
let lastObjects: readonly IstioObject[] = [];
let lastKeys: readonly string[] = [];
for (let i = 0; i < runCount; i++) {
  const { dump, parseMs, validateMs } = timedParse(text);
  const t2 = performance.now();
  const result = renderRegistry(dump.services, options);
  const t3 = performance.now();
  runs.push({ parseMs, validateMs, renderOnlyMs: t3 - t2, renderMs: validateMs + (t3 - t2) });
  summary = {
    services: dump.services.length,
    instances: dump.services.reduce((n, d) => n + (d.instances?.length ?? 0), 0),
    objects: result.objects.length,
  };
  lastObjects = result.objects;
  lastKeys = [...result.groups.keys()];
}

/**
 * The floor the hash formats set: the sha256 calls one render makes (content hash of
 * every object, name suffix of every WorkloadEntry, key hash of every service), on
 * texts built beforehand, so only hashing is timed. Both formats are stored (in every
 * object, in state, in every WorkloadEntry's name), which is why the figure is reported.
 */
function timeHashes(objects: readonly IstioObject[], keys: readonly string[]): number[] {
  const texts = objects.map(contentHashText);
  const ids: string[] = [];
  for (const o of objects) if (o.kind === 'WorkloadEntry') ids.push(o.metadata.annotations[INSTANCE_ID_ANNOTATION] as string);
  const times: number[] = [];
  let sink = 0;
  for (let i = 0; i < runCount; i++) {
    collectGarbage();
    const t0 = performance.now();
    for (const t of texts) sink += shortHash(t).length;
    for (const id of ids) sink += nameSuffixHash(id).length;
    for (const k of keys) sink += nameSuffixHash(k).length;
    times.push(performance.now() - t0);
  }
  if (sink === 0) throw new Error('bench render: nothing hashed');
  return times;
}
const hashRuns = timeHashes(lastObjects, lastKeys);

const output: RenderWorkerOutput = { ...summary, bytes: text.length, runs, hashRuns, peakRssMb: process.resourceUsage().maxRSS / 1024 };
process.stdout.write(`${JSON.stringify(output)}\n`);
