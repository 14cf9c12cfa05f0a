// The render options as command-line flags, shared by every command that renders.
import { Option, type Command } from 'commander';
import { resolveRenderOptions, RENDER_MODES, SUBSET_MODES, type RenderOptions, type RenderOptionsInput } from '../render/options.ts';
import { ValidationError } from '../model/validation.ts';
import { CliError } from './errors.ts';

export interface RenderFlags {
  mode?: string;
  namespace?: string;
  source?: string;
  hostTemplate?: string;
  nameTemplate?: string;
  publishStatuses?: string;
  exportTo?: string;
  exportToApp?: string[];
  label?: string[];
  destinationRules?: boolean;
  subsets?: string;
  location?: string;
  exclude?: string[];
}

const FLAG_OF: Record<string, string> = {
  mode: '--mode',
  namespace: '--namespace',
  source: '--source',
  hostTemplate: '--host-template',
  nameTemplate: '--name-template',
  publishStatuses: '--publish-statuses',
  exportTo: '--export-to',
  exportToByApp: '--export-to-app',
  extraLabels: '--label',
  destinationRules: '--destination-rules',
  subsets: '--subsets',
  location: '--location',
  excludeServices: '--exclude',
};

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function addRenderFlags(command: Command): Command {
  return command
    .addOption(new Option('--mode <mode>', 'workloadentry: one WorkloadEntry per instance; inline: endpoints inside the ServiceEntry').choices([...RENDER_MODES]))
    .option('--namespace <ns>', 'namespace of the emitted objects (default "sc2mesh")')
    .option('--source <name>', 'names this registry on every object (label sc2mesh.io/source); deployments prune only their own source (default "default")')
    .option('--host-template <t>', 'ServiceEntry host; placeholders {service} {app} {env}, an empty {env} drops its label (default "{service}.{app}.{env}.servicecomb.internal")')
    .option('--name-template <t>', 'readable part of object names; a hash of the service key is always appended (default "{service}-{app}-{env}")')
    .option('--publish-statuses <list>', 'comma-separated instance statuses to publish (default "UP")')
    .option('--export-to <list>', 'comma-separated exportTo of ServiceEntries and DestinationRules (".", "*", "~", namespaces) for apps without --export-to-app')
    .option('--export-to-app <app=namespaces>', 'exportTo of one ServiceComb app\'s objects: app=ns1,ns2 or environment/app=ns1,ns2 (repeatable; environment/app wins over app)', collect)
    .option('--label <key=value>', 'extra label on every object (repeatable)', collect)
    .option('--destination-rules', 'also emit a DestinationRule with one subset per version')
    .addOption(new Option('--subsets <mode>', 'with --destination-rules: multi-version (only services with more than one version with instances) or always (default "multi-version")').choices([...SUBSET_MODES]))
    .addOption(new Option('--location <loc>', 'ServiceEntry location').choices(['MESH_INTERNAL', 'MESH_EXTERNAL']))
    .option('--exclude <serviceName>', 'never publish this service name (repeatable; SERVICECENTER is always excluded)', collect);
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Flags → options input (only what was given); file/env layers may sit underneath. */
export function renderInputFromFlags(flags: RenderFlags): RenderOptionsInput {
  const input: Record<string, unknown> = {};
  if (flags.mode !== undefined) input['mode'] = flags.mode;
  if (flags.namespace !== undefined) input['namespace'] = flags.namespace;
  if (flags.source !== undefined) input['source'] = flags.source;
  if (flags.hostTemplate !== undefined) input['hostTemplate'] = flags.hostTemplate;
  if (flags.nameTemplate !== undefined) input['nameTemplate'] = flags.nameTemplate;
  if (flags.publishStatuses !== undefined) input['publishStatuses'] = splitList(flags.publishStatuses).map((s) => s.toUpperCase());
  if (flags.exportTo !== undefined) input['exportTo'] = splitList(flags.exportTo);
  if (flags.exportToApp !== undefined) {
    const byApp = new Map<string, string[]>();
    for (const entry of flags.exportToApp) {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new CliError(`--export-to-app ${JSON.stringify(entry)}: expected app=namespace[,namespace...]`);
      const app = entry.slice(0, eq).trim();
      if (byApp.has(app)) throw new CliError(`--export-to-app ${JSON.stringify(entry)}: ${JSON.stringify(app)} is given twice`);
      byApp.set(app, splitList(entry.slice(eq + 1)));
    }
    input['exportToByApp'] = Object.fromEntries(byApp);
  }
  if (flags.destinationRules !== undefined) input['destinationRules'] = flags.destinationRules;
  if (flags.subsets !== undefined) input['subsets'] = flags.subsets;
  if (flags.location !== undefined) input['location'] = flags.location;
  if (flags.exclude !== undefined) input['excludeServices'] = flags.exclude;
  if (flags.label !== undefined) {
    const labels: Record<string, string> = {};
    for (const pair of flags.label) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new CliError(`--label ${JSON.stringify(pair)}: expected key=value`);
      labels[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    input['extraLabels'] = labels;
  }
  return input as RenderOptionsInput;
}

/** Validated options; a bad value fails naming the flag and the value. */
export function renderOptionsFromFlags(flags: RenderFlags, base: RenderOptionsInput = {}): RenderOptions {
  try {
    return resolveRenderOptions({ ...base, ...renderInputFromFlags(flags) }, '');
  } catch (error) {
    if (error instanceof ValidationError) {
      const top = error.field.split(/[.[]/)[0] ?? '';
      const flag = FLAG_OF[top];
      // one flag carries every app: name the app (and the entry) the problem is in
      const app = top === 'exportToByApp' ? ` (${error.field.slice(top.length + 1)})` : '';
      throw new CliError(flag === undefined ? error.message : `${flag}${app}: ${error.message.slice(error.field.length + 2)}`);
    }
    if (error instanceof Error && /^(hostTemplate|nameTemplate):/.test(error.message)) {
      const key = error.message.split(':')[0] as string;
      throw new CliError(`${FLAG_OF[key]}:${error.message.slice(error.message.indexOf(':') + 1)}`);
    }
    throw error;
  }
}
