// `sc2mesh demo` (`npm run demo`): the live pipeline against a registry simulator with a
// realistic sample, writing a manifests folder; scripted registry changes are shown
// reaching the manifests with their measured latency; every manifest is then checked
// against the Istio CRDs. Ends by itself, or keeps running with --follow.
import { Command } from 'commander';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runDemo, type DemoStep } from '../demo/demo-scenario.ts';
import { listManifests } from '../output/manifest-folder.ts';
import { formatTable } from './table.ts';
import { CliError, EXIT_FAILURE, EXIT_OK } from './errors.ts';
import type { CommandIo } from './render-command.ts';

interface DemoFlags {
  out: string;
  json?: boolean;
  follow?: boolean;
}

async function validateFolder(root: string): Promise<{ files: number; problems: string[]; checkedBy: string }> {
  // The validator is test support (it reads the CRDs from ../shared); loaded only here.
  const { loadIstioValidator } = await import('../istio-validator/index.ts');
  const { parse } = await import('yaml');
  const validator = loadIstioValidator({ quiet: true });
  const files = await listManifests(root);
  const problems: string[] = [];
  for (const file of files) {
    const { causes } = validator.validate(parse(await readFile(join(root, file), 'utf8')), { strictUnknownFields: true });
    for (const c of causes) problems.push(`${file}: ${c.message}`);
  }
  const checkedBy = validator.celEnabled ? 'the Istio CRD schemas and CEL rules' : 'the Istio CRD schemas (CEL rules not checked: ../shared/reference/istio not found)';
  return { files: files.length, problems, checkedBy };
}

export async function runDemoCommand(flags: DemoFlags, io: CommandIo): Promise<number> {
  const started = performance.now();
  const out = resolve(flags.out);
  const stateDir = await mkdtemp(join(tmpdir(), 'sc2mesh-demo-state-'));
  await rm(out, { recursive: true, force: true });
  const human = flags.json !== true;
  const say = (text: string): void => {
    if (human) io.stdout.write(`${text}\n`);
  };
  say(`sc2mesh demo: registry simulator → sc2mesh pipeline → ${out}`);
  const demo = await runDemo({
    out,
    stateDir,
    progress: {
      line: (t) => say(`  ${t}`),
      step: (s: DemoStep) => say(`  ${s.ok ? '✓' : '✗'} ${s.name.padEnd(18)} ${s.action} → ${s.expect}: ${s.ok ? `in the manifests after ${s.latencyMs} ms` : `NOT seen after ${s.latencyMs} ms`}`),
    },
  });
  try {
    await demo.runner.flush();
    const check = await validateFolder(out);
    const ms = Math.round(performance.now() - started);
    const failed = demo.steps.filter((s) => !s.ok).length + check.problems.length;
    if (flags.json === true) {
      io.stdout.write(`${JSON.stringify({ out, initialObjects: demo.initialObjects, initialMs: demo.initialMs, steps: demo.steps, manifests: check.files, problems: check.problems, checkedBy: check.checkedBy, ms, ok: failed === 0 })}\n`);
    } else {
      say('');
      say(formatTable(['change', 'registry', 'expected in the manifests', 'latency ms', 'ok'], demo.steps.map((s) => [s.name, s.action, s.expect, s.latencyMs, s.ok ? 'yes' : 'NO'] as const)));
      say('');
      for (const p of check.problems) say(`invalid ${p}`);
      say(`${check.files} manifests in ${out}; ${check.problems.length === 0 ? `every one passes ${check.checkedBy}` : `${check.problems.length} problems`}`);
      const latencies = demo.steps.map((s) => s.latencyMs);
      say(`initial sync ${demo.initialMs} ms; change latency ${Math.min(...latencies)}–${Math.max(...latencies)} ms with the default 1 s debounce quiet time; total ${ms} ms`);
    }
    if (failed > 0) throw new CliError(`demo: ${failed} problems (see above)`, EXIT_FAILURE);
    if (flags.follow === true) {
      say('following the simulator (Ctrl-C to stop); change it with: npm run -s sc2mesh -- status, or its REST API');
      await new Promise<void>((res) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          res();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    }
    return EXIT_OK;
  } finally {
    await demo.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

export function demoCommand(io: CommandIo, setExit: (code: number) => void): Command {
  return new Command('demo')
    .description('Run the live pipeline against a built-in registry simulator, script registry changes and show each reaching the manifests')
    .option('--out <dir>', 'manifests folder (emptied first)', 'manifests')
    .option('--json', 'print the summary as one JSON object')
    .option('--follow', 'keep running after the script')
    .addHelpText('after', '\nExamples:\n  npm run demo\n  npm run -s sc2mesh -- demo --out /tmp/mesh --json')
    .action(async (flags: DemoFlags) => setExit(await runDemoCommand(flags, io)));
}
