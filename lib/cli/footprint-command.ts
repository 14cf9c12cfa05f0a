// `sc2mesh footprint`: renders the registry (or a dump) with the current configuration
// and prints, per namespace, what a proxy there receives from sc2mesh's objects and the
// memory that costs by published figures, beside the same with everything visible.
import { Command } from 'commander';
import type { Sc2meshConfig } from '../config/index.ts';
import { estimateFootprint, EVERY_OTHER_NAMESPACE, type FootprintReport, type ProxyCost } from '../footprint/estimate.ts';
import { COUNTING_RULES, MEMORY_FIGURES } from '../footprint/figures.ts';
import { silentLogger } from '../log.ts';
import { parseGovernDump, type GovernDump } from '../model/govern-dump.ts';
import { ValidationError } from '../model/validation.ts';
import { renderRegistry } from '../render/render-registry.ts';
import { createRegistryClient } from '../runtime/registry-connection.ts';
import { addOperateFlags, loadCommandConfig } from './command-config.ts';
import { CliError, EXIT_OK, EXIT_PARTIAL, oneLine } from './errors.ts';
import { readJsonInput } from './read-input.ts';
import type { CommandIo } from './render-command.ts';
import { formatTable } from './table.ts';

export interface FootprintOutput extends FootprintReport {
  source: { input: string } | { registry: readonly string[] };
  objects: { serviceEntries: number; destinationRules: number; workloadEntries: number };
  /** services and instances left out of the render, each named on stderr */
  skipped: { services: number; instances: number };
  config: Pick<Sc2meshConfig['render'], 'namespace' | 'exportTo' | 'exportToByApp' | 'destinationRules' | 'subsets' | 'mode'>;
  figures: typeof MEMORY_FIGURES;
  counting: typeof COUNTING_RULES;
}

async function readDump(opts: Record<string, unknown>, config: Sc2meshConfig): Promise<{ dump: GovernDump; source: FootprintOutput['source'] }> {
  const input = opts['input'];
  if (typeof input === 'string') {
    if (opts['registry'] !== undefined) throw new CliError('--input and --registry name two sources; give one');
    const raw = await readJsonInput(input);
    try {
      return { dump: parseGovernDump(raw), source: { input } };
    } catch (error) {
      if (error instanceof ValidationError) throw new CliError(`--input ${JSON.stringify(input)}: not a registry dump: ${error.message}`);
      throw error;
    }
  }
  const client = await createRegistryClient(config, silentLogger);
  try {
    return { dump: await client.governDumpDetailed(), source: { registry: config.registry.addresses } };
  } catch (error) {
    throw new CliError(`registry ${config.registry.addresses.join(', ')} unreadable: ${oneLine(error)}`);
  } finally {
    client.close();
  }
}

const mb = (bytes: number): number => Math.round(bytes / 100_000) / 10;

function row(label: string, cost: ProxyCost, everything: ProxyCost): (string | number)[] {
  return [label, cost.serviceEntries, cost.clusters, cost.endpoints, mb(cost.envoyBytes), mb(cost.istioBytes), mb(everything.envoyBytes - cost.envoyBytes)];
}

export function formatFootprint(out: FootprintOutput): string {
  const from = 'input' in out.source ? out.source.input : `registry ${out.source.registry.join(', ')}`;
  const lines = [
    `What one proxy receives from sc2mesh's objects, per namespace: an estimate from published per-cluster and per-endpoint figures, not a measurement.`,
    `Source ${from}: ${out.objects.serviceEntries} ServiceEntries, ${out.objects.destinationRules} DestinationRules, ${out.objects.workloadEntries} WorkloadEntries in namespace ${out.config.namespace}${out.hidden > 0 ? `; ${out.hidden} ServiceEntries exported to "~" (no proxy sees them)` : ''}.`,
    '',
  ];
  const header = ['proxy in namespace', 'ServiceEntries', 'clusters', 'endpoints', 'MB (Envoy bounds)', 'MB (Istio sidecar)', 'MB saved'];
  const rows = out.scoped.map((r) => row(r.namespace === EVERY_OTHER_NAMESPACE ? '* (every other namespace)' : r.namespace, r, out.everythingVisible));
  rows.push(row('everything visible (no exportTo)', out.everythingVisible, out.everythingVisible));
  lines.push(formatTable(header, rows), '');
  lines.push('MB (Envoy bounds) = clusters × envoyClusterBytes + endpoints × envoyEndpointBytes; MB (Istio sidecar) = clusters × istioClusterBytes; MB saved = Envoy-bounds MB below "everything visible". 1 MB = 10^6 bytes.');
  lines.push('Figures:');
  for (const f of out.figures) lines.push(`  ${f.id} = ${f.bytes} B per ${f.per}: ${f.source}`);
  lines.push('Counting:');
  for (const c of out.counting) lines.push(`  - ${c}`);
  return `${lines.join('\n')}\n`;
}

export function footprintCommand(io: CommandIo, setExit: (code: number) => void): Command {
  const command = new Command('footprint').description("Estimate what sc2mesh's objects cost each mesh proxy, per namespace (exportTo), against everything visible");
  addOperateFlags(command, ['registry', 'log'])
    .option('-i, --input <file>', 'a registry dump (GET /v4/{project}/govern/microservices?options=instances) instead of reading the registry; "-" reads stdin')
    .option('--json', 'print one JSON object');
  command.addHelpText(
    'after',
    `
Exit codes: 0 estimated; 3 estimated, but some services or instances could not be
rendered (one line each on stderr; they are not counted); 1 the input, the registry or
the configuration could not be used.

Examples:
  sc2mesh footprint --registry http://sc.internal:30100 --export-to-app shop=shop-web,shop-api
  sc2mesh footprint --input dump.json --config sc2mesh.yaml --destination-rules --json`,
  );
  return command.action(async (opts: Record<string, unknown>) => {
    const config = await loadCommandConfig(opts, io.stdout);
    if (config === undefined) return setExit(EXIT_OK);
    const { dump, source } = await readDump(opts, config);
    const rendered = renderRegistry(dump.services, config.render);
    const count = (kind: string): number => rendered.objects.filter((o) => o.kind === kind).length;
    const r = config.render;
    const output: FootprintOutput = {
      source,
      objects: { serviceEntries: count('ServiceEntry'), destinationRules: count('DestinationRule'), workloadEntries: count('WorkloadEntry') },
      skipped: { services: dump.rejected.length + rendered.skipped.length, instances: rendered.instancesSkipped },
      config: { namespace: r.namespace, exportTo: r.exportTo, exportToByApp: r.exportToByApp, destinationRules: r.destinationRules, subsets: r.subsets, mode: r.mode },
      ...estimateFootprint(rendered.objects),
      figures: MEMORY_FIGURES,
      counting: COUNTING_RULES,
    };
    for (const x of dump.rejected) io.stderr.write(`skipped ${x.service}: ${x.reason}\n`);
    for (const s of rendered.skipped) io.stderr.write(`skipped ${s.display}: ${s.reason}\n`);
    for (const s of rendered.services) for (const i of s.skippedInstances) io.stderr.write(`skipped ${s.display}: instance ${i.instanceId}: ${i.reason}\n`);
    io.stdout.write(opts['json'] === true ? `${JSON.stringify(output)}\n` : formatFootprint(output));
    setExit(output.skipped.services + output.skipped.instances > 0 ? EXIT_PARTIAL : EXIT_OK);
  });
}
