// `npm run bench -- [render|watch|kube|pipeline|debounce|scale|footprint|sidecars ...] [--json]`: runs the named
// benchmarks (all by default) once each and prints a table, or one JSON object.
import { benchRender } from './render.ts';
import { benchWatch } from './watch.ts';
import { benchKube } from './kube.ts';
import { benchPipeline } from './pipeline.ts';
import { benchDebounce } from './debounce.ts';
import { benchScale } from './scale.ts';
import { benchFootprint } from './footprint.ts';
import { benchSidecars } from './sidecars.ts';

type Bench = () => Promise<object>;

const BENCHES: Record<string, Bench> = {
  render: () => benchRender(),
  watch: () => benchWatch(),
  kube: () => benchKube(),
  pipeline: () => benchPipeline(),
  debounce: () => benchDebounce(),
  scale: () => benchScale(),
  footprint: () => benchFootprint(),
  sidecars: () => benchSidecars(),
};

function round(value: unknown): unknown {
  return typeof value === 'number' ? Math.round(value * 100) / 100 : value;
}

async function mainBench(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const names = argv.filter((a) => !a.startsWith('--'));
  for (const name of names) {
    if (!(name in BENCHES)) {
      process.stderr.write(`bench: unknown benchmark ${JSON.stringify(name)}; choose from ${Object.keys(BENCHES).join(', ')}\n`);
      return 1;
    }
  }
  const selected = names.length > 0 ? names : Object.keys(BENCHES);
  const results: Record<string, Record<string, unknown>> = {};
  for (const name of selected) {
    if (!json) process.stderr.write(`running ${name}...\n`);
    const raw = (await (BENCHES[name] as Bench)()) as Record<string, unknown>;
    results[name] = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, round(v)]));
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
    return 0;
  }
  process.stdout.write(`node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);
  for (const [name, figures] of Object.entries(results)) {
    process.stdout.write(`\n${name}\n`);
    for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(30)} ${String(v)}\n`);
  }
  return 0;
}

process.exitCode = await mainBench(process.argv.slice(2));
