// `sc2mesh demo` (`npm run demo`): renders the bundled realistic registry into a manifests
// folder, checks every manifest against the Istio CRDs, and prints a summary table.
import { Command } from 'commander';
import { readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseGovernDump } from '../model/govern-dump.ts';
import { renderRegistry } from '../render/render-registry.ts';
import { resolveRenderOptions } from '../render/options.ts';
import { listManifests, writeManifest } from '../output/manifest-folder.ts';
import { formatTable } from './table.ts';
import { CliError, EXIT_OK } from './errors.ts';
import type { CommandIo } from './render-command.ts';

const SAMPLE = new URL('../../test/fixtures/registry-dump.json', import.meta.url);

interface DemoFlags {
  out: string;
  json?: boolean;
}

async function validateFolder(root: string, io: CommandIo): Promise<string> {
  // The validator is test support (it reads the CRDs from ../shared); load it only here.
  const { loadIstioValidator } = await import('../../test/support/istio-validator/index.ts');
  const { parse } = await import('yaml');
  const validator = loadIstioValidator({ quiet: true });
  const files = await listManifests(root);
  const bad: string[] = [];
  for (const file of files) {
    const { causes } = validator.validate(parse(await readFile(resolve(root, file), 'utf8')), { strictUnknownFields: true });
    for (const c of causes) bad.push(`${file}: ${c.message}`);
  }
  if (bad.length > 0) {
    for (const line of bad) io.stderr.write(`invalid ${line}\n`);
    throw new CliError(`${bad.length} manifest problems in ${root}`);
  }
  return validator.celEnabled ? 'Istio CRD schema and CEL rules' : 'Istio CRD schema (CEL rules not checked: ../shared/reference/istio not found)';
}

export async function runDemo(flags: DemoFlags, io: CommandIo): Promise<number> {
  const started = performance.now();
  const root = resolve(flags.out);
  const dump = parseGovernDump(JSON.parse(await readFile(SAMPLE, 'utf8')) as unknown);
  const result = renderRegistry(dump.services, resolveRenderOptions({ destinationRules: true }));
  await rm(root, { recursive: true, force: true });
  for (const object of result.objects) await writeManifest(root, object);
  const checkedBy = await validateFolder(root, io);
  const ms = Math.round(performance.now() - started);

  const rows = result.services.map((s) => [s.display, s.host, s.instances, s.published, s.objects.length, s.excluded ? 'excluded' : s.objects.length === 0 ? 'no endpoints' : 'ok'] as const);
  const summary = {
    services: result.services.length + result.skipped.length,
    instances: result.instances,
    published: result.published,
    objects: result.objects.length,
    skipped: result.skipped.length,
    manifests: root,
    checkedBy,
    ms,
  };
  if (flags.json === true) {
    io.stdout.write(`${JSON.stringify({ ...summary, rows: rows.map(([service, host, instances, published, objects, status]) => ({ service, host, instances, published, objects, status })) })}\n`);
    return EXIT_OK;
  }
  io.stdout.write(`${formatTable(['service', 'host', 'instances', 'published', 'objects', 'status'], rows)}\n\n`);
  for (const s of result.skipped) io.stdout.write(`skipped ${s.display}: ${s.reason}\n`);
  io.stdout.write(
    `${summary.services} services, ${summary.instances} instances (${summary.published} published), ${summary.objects} objects, ${summary.skipped} skipped, in ${ms} ms\n` +
      `manifests: ${root} (every one passes the ${checkedBy})\n`,
  );
  return EXIT_OK;
}

export function demoCommand(io: CommandIo, setExit: (code: number) => void): Command {
  return new Command('demo')
    .description('Render the bundled sample registry into a manifests folder and summarise it')
    .option('--out <dir>', 'manifests folder (emptied first)', 'manifests')
    .option('--json', 'print the summary as one JSON object')
    .action(async (flags: DemoFlags) => setExit(await runDemo(flags, io)));
}
