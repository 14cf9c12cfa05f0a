// `sc2mesh governance`: what turning governance on would make of every rule, for every
// published service it concerns — exact, approximate (what differs) or not mapped (why) —
// from the registry or from files. Writes nothing anywhere.
import { Command } from 'commander';
import type { Sc2meshConfig } from '../config/index.ts';
import { governanceOptionsOf, governRegistry, parseGovernance, summarizeGovernance, type GovernanceSummary, type RuleSet } from '../governance/index.ts';
import { silentLogger } from '../log.ts';
import { parseGovernDump, type GovernDump } from '../model/govern-dump.ts';
import { ValidationError } from '../model/validation.ts';
import { renderRegistry } from '../render/render-registry.ts';
import { createRegistryClient } from '../runtime/registry-connection.ts';
import type { UnavailableKind } from '../servicecenter/governance-reader.ts';
import type { RegistryClient } from '../servicecenter/index.ts';
import { addOperateFlags, loadCommandConfig } from './command-config.ts';
import { CliError, EXIT_OK, EXIT_PARTIAL, oneLine } from './errors.ts';
import { readRulesFile } from './governance-input.ts';
import { readJsonInput } from './read-input.ts';
import type { CommandIo } from './render-command.ts';
import { formatTable } from './table.ts';

export interface GovernanceOutput extends GovernanceSummary {
  source: { rules: string; services: string };
  /** kinds the registry does not serve (404): their rules are unknown, not absent */
  unavailable: UnavailableKind[];
}

async function withClient<T>(config: Sc2meshConfig, use: (client: RegistryClient) => Promise<T>): Promise<T> {
  const client = await createRegistryClient(config, silentLogger);
  try {
    return await use(client);
  } catch (error) {
    throw new CliError(`registry ${config.registry.addresses.join(', ')} unreadable: ${oneLine(error)}`);
  } finally {
    client.close();
  }
}

async function readDumpFile(path: string): Promise<GovernDump> {
  const raw = await readJsonInput(path, '--dump');
  try {
    return parseGovernDump(raw);
  } catch (error) {
    if (error instanceof ValidationError) throw new CliError(`--dump ${JSON.stringify(path)}: not a registry dump: ${error.message}`);
    throw error;
  }
}

export function formatGovernance(out: GovernanceOutput): string {
  const c = out.counts;
  const lines = [
    `Rules from ${out.source.rules}, services from ${out.source.services}: ${c.rules} rules, ${c.exact} exact, ${c.approximate} approximate, ${c.notMapped} not mapped; ${c.rejected} rejected, ${c.disabled} disabled.`,
    '',
  ];
  const header = ['rule', 'service', 'fit', 'objects', 'what differs / why'];
  const rows = out.rows.map((r) => [`${r.kind}/${r.name}`, r.service ?? '-', r.fit, r.shaped.length === 0 ? '-' : r.shaped.join(','), r.notes.length === 0 ? '-' : r.notes.join('; ')]);
  for (const r of out.rejected) rows.push([`${r.kind}/${r.name ?? '(unnamed)'}`, '-', 'rejected', '-', r.message]);
  for (const r of out.disabled) rows.push([`${r.kind}/${r.name}`, '-', 'disabled', '-', 'status disabled: not mapped']);
  lines.push(rows.length === 0 ? '(no rules)' : formatTable(header, rows));
  for (const u of out.unavailable) lines.push('', `kind ${u.kind}: the registry answered ${u.status} (${u.message}); its rules are unknown`);
  return `${lines.join('\n')}\n`;
}

export function governanceCommand(io: CommandIo, setExit: (code: number) => void): Command {
  const command = new Command('governance').description(
    "Show what sc2mesh makes of every ServiceComb governance rule: exact, approximate (what differs) or not mapped (why), per service",
  );
  addOperateFlags(command, ['registry', 'governance', 'log'])
    .option('-i, --input <file>', 'rules as JSON, {"<kind>": <what GET /v1/{project}/gov/<kind> returns>, ...}, instead of reading the registry; "-" reads stdin')
    .option('--dump <file>', 'services from a registry dump (GET /v4/{project}/govern/microservices?options=instances) instead of the registry')
    .option('--json', 'print one JSON object');
  command.addHelpText(
    'after',
    `
Exit codes: 0 every rule read; 3 some rules refused as invalid, or some kinds not served
by the registry (each named); 1 the input, the registry or the configuration could not
be used.

Examples:
  sc2mesh governance --registry http://sc.internal:30100
  sc2mesh governance --input rules.json --dump dump.json --json`,
  );
  return command.action(async (opts: Record<string, unknown>) => {
    const config = await loadCommandConfig(opts, io.stdout);
    if (config === undefined) return setExit(EXIT_OK);
    const input = typeof opts['input'] === 'string' ? opts['input'] : undefined;
    const dumpFile = typeof opts['dump'] === 'string' ? opts['dump'] : undefined;
    let rules: RuleSet;
    let unavailable: UnavailableKind[] = [];
    if (input !== undefined) rules = await readRulesFile(input, '--input');
    else {
      const listing = await withClient(config, (client) => client.listGovernance());
      rules = parseGovernance(listing.lists);
      unavailable = listing.unavailable;
    }
    const dump = dumpFile !== undefined ? await readDumpFile(dumpFile) : await withClient(config, (client) => client.governDumpDetailed());
    const registry = `registry ${config.registry.addresses.join(', ')}`;
    const governed = governRegistry(renderRegistry(dump.services, config.render), { rules, options: governanceOptionsOf(config.render, config.governance) });
    const output: GovernanceOutput = {
      source: { rules: input ?? registry, services: dumpFile ?? registry },
      unavailable,
      ...summarizeGovernance(rules, governed.reports),
    };
    io.stdout.write(opts['json'] === true ? `${JSON.stringify(output)}\n` : formatGovernance(output));
    setExit(output.rejected.length + output.unavailable.length > 0 ? EXIT_PARTIAL : EXIT_OK);
  });
}
