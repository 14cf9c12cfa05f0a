// `npm run bench -- render`: JSON.parse vs render of a 10,000-service / 100,000-instance
// dump. renderMs counts everything after JSON.parse: schema validation and rendering.
// Five runs in one process after a warm-up; the figures are those of the median run
// (by ratio), and every run's figures are reported too.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateRegistry } from '../test/support/registry-generator.ts';
import type { RenderRun, RenderWorkerOutput } from './render-worker.ts';

export const RENDER_RUNS = 5;

export interface RenderBench {
  services: number;
  instances: number;
  objects: number;
  bytes: number;
  /** figures of the median run by ratio */
  parseMs: number;
  validateMs: number;
  renderOnlyMs: number;
  renderMs: number;
  ratio: number;
  /** every run, in order: renderMs / parseMs, parseMs, renderMs */
  ratios: number[];
  parseRuns: number[];
  renderRuns: number[];
  /** median of the runs: sha256 alone of what one render hashes (both hash formats are stored, so this part cannot shrink) */
  hashMs: number;
  /** hashMs / the median run's parseMs: the part of `ratio` that is sha256 */
  hashRatio: number;
  hashRuns: number[];
  peakRssMb: number;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const ratioOf = (run: RenderRun): number => run.renderMs / run.parseMs;

/** The median run by ratio: parse and render of one run share the machine's load at that moment. */
export function medianRun(runs: readonly RenderRun[]): RenderRun {
  const sorted = [...runs].sort((a, b) => ratioOf(a) - ratioOf(b));
  const median = sorted[Math.floor(sorted.length / 2)];
  if (median === undefined) throw new Error('bench render: no runs');
  return median;
}

export async function benchRender(options: { services?: number; instances?: number; runs?: number } = {}): Promise<RenderBench> {
  const services = options.services ?? 10_000;
  const instances = options.instances ?? 100_000;
  const runs = options.runs ?? RENDER_RUNS;
  const dir = await mkdtemp(join(tmpdir(), 'sc2mesh-bench-'));
  try {
    const file = join(dir, 'dump.json');
    await writeFile(file, JSON.stringify(generateRegistry({ services, instancesPerService: instances / services, seed: 7 })));
    const worker = new URL('./render-worker.ts', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', '--expose-gc', worker, file, String(runs)], { maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout) as RenderWorkerOutput;
    const median = medianRun(r.runs);
    const hashMs = [...r.hashRuns].sort((a, b) => a - b)[Math.floor(r.hashRuns.length / 2)] as number;
    return {
      services: r.services,
      instances: r.instances,
      objects: r.objects,
      bytes: r.bytes,
      ...median,
      ratio: ratioOf(median),
      ratios: r.runs.map((run) => round2(ratioOf(run))),
      parseRuns: r.runs.map((run) => round2(run.parseMs)),
      renderRuns: r.runs.map((run) => round2(run.renderMs)),
      hashMs: round2(hashMs),
      hashRatio: round2(hashMs / median.parseMs),
      hashRuns: r.hashRuns.map(round2),
      peakRssMb: r.peakRssMb,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
