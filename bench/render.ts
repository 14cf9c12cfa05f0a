// `npm run bench -- render`: JSON.parse vs render of a 10,000-service / 100,000-instance
// dump. renderMs counts everything after JSON.parse: schema validation and rendering.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateRegistry } from '../test/support/registry-generator.ts';

export interface RenderBench {
  services: number;
  instances: number;
  objects: number;
  bytes: number;
  parseMs: number;
  validateMs: number;
  renderOnlyMs: number;
  renderMs: number;
  ratio: number;
  peakRssMb: number;
}

export async function benchRender(options: { services?: number; instances?: number } = {}): Promise<RenderBench> {
  const services = options.services ?? 10_000;
  const instances = options.instances ?? 100_000;
  const dir = await mkdtemp(join(tmpdir(), 'sc2mesh-bench-'));
  try {
    const file = join(dir, 'dump.json');
    await writeFile(file, JSON.stringify(generateRegistry({ services, instancesPerService: instances / services, seed: 7 })));
    const worker = new URL('./render-worker.ts', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', worker, file], { maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout) as Omit<RenderBench, 'ratio'>;
    return { ...r, ratio: r.renderMs / r.parseMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
