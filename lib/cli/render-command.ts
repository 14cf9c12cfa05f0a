// `sc2mesh render`: a govern dump in, manifests out. No registry or cluster involved.
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { governanceOptionsOf, governRegistry, summarizeGovernance, summaryLines, type GovernanceSummary } from '../governance/index.ts';
import { parseGovernDump } from '../model/govern-dump.ts';
import { ValidationError } from '../model/validation.ts';
import { renderRegistry } from '../render/render-registry.ts';
import { formatObjects, OUTPUT_FORMATS, type Manifest, type OutputFormat } from '../output/format.ts';
import { addRenderFlags, renderOptionsFromFlags, type RenderFlags } from './render-flags.ts';
import { readJsonInput } from './read-input.ts';
import { CliError, EXIT_OK, EXIT_PARTIAL } from './errors.ts';
import { readRulesFile } from './governance-input.ts';
import { isDnsLabel } from '../names/sanitize.ts';

interface RenderCommandFlags extends RenderFlags {
  input: string;
  output: OutputFormat;
  governance?: string;
  governanceRateLimiting?: boolean;
  governanceRateLimitNamespace?: string;
  report?: string;
}

/** What `--report FILE` holds: everything stderr says, as one JSON object. */
export interface RenderReport {
  skipped: { service: string; reason: string }[];
  warnings: { service: string; warning: string }[];
  /** only with --governance */
  governance?: GovernanceSummary;
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
  if (flags.governanceRateLimiting === true && flags.governance === undefined) throw new CliError('--governance-rate-limiting: needs --governance RULES');
  const rateLimitNamespace = flags.governanceRateLimitNamespace;
  if (rateLimitNamespace !== undefined) {
    if (flags.governanceRateLimiting !== true) throw new CliError('--governance-rate-limit-namespace: needs --governance-rate-limiting');
    if (!isDnsLabel(rateLimitNamespace)) throw new CliError(`--governance-rate-limit-namespace ${JSON.stringify(rateLimitNamespace)}: not a namespace name (a DNS-1123 label: lower-case letters, digits, "-", at most 63)`);
  }
  const rules = flags.governance === undefined ? undefined : await readRulesFile(flags.governance, '--governance');
  let result = renderRegistry(dump.services, options);
  let manifests: Manifest[] = result.objects;
  let governance: GovernanceSummary | undefined;
  if (rules !== undefined) {
    const settings = { rateLimiting: flags.governanceRateLimiting === true, ...(rateLimitNamespace === undefined ? {} : { rateLimitNamespace }) };
    const governed = governRegistry(result, { rules, options: governanceOptionsOf(options, settings) });
    result = governed.render;
    // Each EnvoyFilter is one of its service's objects, after its VirtualService, as the pipeline writes it.
    manifests = result.objects;
    governance = summarizeGovernance(rules, governed.reports);
  }
  io.stdout.write(formatObjects(manifests, flags.output));
  const report: RenderReport = { skipped: [], warnings: [] };
  for (const r of dump.rejected) report.skipped.push({ service: r.service, reason: r.reason });
  for (const s of result.skipped) report.skipped.push({ service: s.display, reason: s.reason });
  for (const s of result.services) for (const i of s.skippedInstances) report.skipped.push({ service: s.display, reason: `instance ${i.instanceId}: ${i.reason}` });
  for (const s of result.services) for (const w of s.warnings) report.warnings.push({ service: s.display, warning: w });
  for (const s of report.skipped) io.stderr.write(`skipped ${s.service}: ${s.reason}\n`);
  for (const w of report.warnings) io.stderr.write(`warning ${w.service}: ${w.warning}\n`);
  if (governance !== undefined) {
    report.governance = governance;
    const c = governance.counts;
    io.stderr.write(`governance: ${c.rules} rules: ${c.exact} exact, ${c.approximate} approximate, ${c.notMapped} not mapped; ${c.rejected} rejected, ${c.disabled} disabled\n`);
    for (const line of summaryLines(governance)) io.stderr.write(`governance: ${line}\n`);
  }
  if (flags.report !== undefined) await writeReport(flags.report, report);
  // A skipped instance or a refused rule is data left out just as a skipped service is: the same exit code.
  return report.skipped.length + (governance?.counts.rejected ?? 0) > 0 ? EXIT_PARTIAL : EXIT_OK;
}

async function writeReport(path: string, report: RenderReport): Promise<void> {
  try {
    await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  } catch (error) {
    throw new CliError(`--report ${JSON.stringify(path)}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

export function renderCommand(io: CommandIo, setExit: (code: number) => void): Command {
  const command = new Command('render')
    .description('Render a registry dump (GET /v4/{project}/govern/microservices?options=instances) as Istio objects')
    .requiredOption('-i, --input <file>', 'the dump as JSON; "-" reads stdin')
    .addOption(new Option('-o, --output <format>', 'multi-document YAML or a JSON v1 List').choices([...OUTPUT_FORMATS]).default('yaml'))
    .option('--governance <file>', 'governance rules as JSON: {"<kind>": <what GET /v1/{project}/gov/<kind> returns>, ...}; adds VirtualServices and DestinationRule traffic policies (implies governance.enabled)')
    .option('--governance-rate-limiting', 'with --governance: also print the local rate-limit EnvoyFilters (governance.rateLimiting)')
    .option('--governance-rate-limit-namespace <ns>', 'with --governance-rate-limiting: the EnvoyFilters\' namespace (governance.rateLimitNamespace; default istio-system)')
    .option('--report <file>', 'also write what stderr reports (skipped services, warnings, every governance rule\'s fate) as one JSON object');
  addRenderFlags(command);
  command.addHelpText(
    'after',
    `
With --governance, stderr also says what became of every rule for every service it
concerns: exact, approximate (what differs) or not mapped (why); lines start "governance:".

Exit codes: 0 every service rendered; 3 some services or instances skipped, or some
governance rules refused as invalid (one line each on stderr, the rest still printed);
1 the input, the rules file or a flag could not be used.

Examples:
  sc2mesh render --input dump.json > mesh.yaml
  curl -s -H 'X-Domain-Name: default' \\
    http://127.0.0.1:30100/v4/default/govern/microservices?options=instances \\
    | sc2mesh render --input - --mode inline --namespace payments -o json
  sc2mesh render --input dump.json --governance rules.json --report report.json > mesh.yaml`,
  );
  return command.action(async (flags: RenderCommandFlags) => setExit(await runRender(flags, io)));
}
