// `sc2mesh render`: a govern dump in, manifests out. No registry or cluster involved.
import { Command, Option } from 'commander';
import { parseGovernDump } from '../model/govern-dump.ts';
import { ValidationError } from '../model/validation.ts';
import { renderRegistry } from '../render/render-registry.ts';
import { formatObjects, OUTPUT_FORMATS, type OutputFormat } from '../output/format.ts';
import { addRenderFlags, renderOptionsFromFlags, type RenderFlags } from './render-flags.ts';
import { readJsonInput } from './read-input.ts';
import { CliError, EXIT_OK, EXIT_PARTIAL } from './errors.ts';

interface RenderCommandFlags extends RenderFlags {
  input: string;
  output: OutputFormat;
}

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function runRender(flags: RenderCommandFlags, io: CommandIo): Promise<number> {
  const options = renderOptionsFromFlags(flags);
  const raw = await readJsonInput(flags.input);
  let dump;
  try {
    dump = parseGovernDump(raw);
  } catch (error) {
    if (error instanceof ValidationError) throw new CliError(`--input ${JSON.stringify(flags.input)}: not a registry dump: ${error.message}`);
    throw error;
  }
  const result = renderRegistry(dump.services, options);
  io.stdout.write(formatObjects(result.objects, flags.output));
  for (const r of dump.rejected) io.stderr.write(`skipped ${r.service}: ${r.reason}\n`);
  for (const s of result.skipped) io.stderr.write(`skipped ${s.display}: ${s.reason}\n`);
  for (const s of result.services) for (const i of s.skippedInstances) io.stderr.write(`skipped ${s.display}: instance ${i.instanceId}: ${i.reason}\n`);
  for (const s of result.services) for (const w of s.warnings) io.stderr.write(`warning ${s.display}: ${w}\n`);
  // A skipped instance is data left out just as a skipped service is: the same exit code.
  return dump.rejected.length + result.skipped.length + result.instancesSkipped > 0 ? EXIT_PARTIAL : EXIT_OK;
}

export function renderCommand(io: CommandIo, setExit: (code: number) => void): Command {
  const command = new Command('render')
    .description('Render a registry dump (GET /v4/{project}/govern/microservices?options=instances) as Istio objects')
    .requiredOption('-i, --input <file>', 'the dump as JSON; "-" reads stdin')
    .addOption(new Option('-o, --output <format>', 'multi-document YAML or a JSON v1 List').choices([...OUTPUT_FORMATS]).default('yaml'));
  addRenderFlags(command);
  command.addHelpText(
    'after',
    `
Exit codes: 0 every service rendered; 3 some services or instances skipped (one line
each on stderr, the rest still printed); 1 the input or a flag could not be used.

Examples:
  sc2mesh render --input dump.json > mesh.yaml
  curl -s -H 'X-Domain-Name: default' \\
    http://127.0.0.1:30100/v4/default/govern/microservices?options=instances \\
    | sc2mesh render --input - --mode inline --namespace payments -o json`,
  );
  return command.action(async (flags: RenderCommandFlags) => setExit(await runRender(flags, io)));
}
