// The command-line layer: the flags of the configuration keys (with defaults and variable
// names in their help), commander's values mapped to key paths, and those values checked
// under the flag's own name. Flags carry no commander defaults: an unset flag must let the
// environment and the file show through.
import { Option, type Command } from 'commander';
import { coerceValue } from './coerce.ts';
import { configError, originOfField, type Origin } from './errors.ts';
import { CONFIG_FILE_ENV, CONFIG_FILE_FLAG, CONFIG_KEYS, configKey, keyOfField, type ConfigKey } from './keys.ts';
import { buildLayer, nest, type ConfigLayer, type PathContext } from './layer.ts';
import { defaultTextOf } from './reference.ts';

/** Sections whose flags addConfigFlags adds; render flags come from lib/cli/render-flags.ts. */
export type ConfigFlagSection = 'registry' | 'kube' | 'state' | 'queue' | 'debounce' | 'guard' | 'sync' | 'audit' | 'governance' | 'sidecars' | 'server' | 'log' | 'out';

function flagSpec(key: ConfigKey): string {
  return key.flagArg === undefined ? (key.flag as string) : `${key.flag as string} ${key.flagArg}`;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** commander's attribute name (`--kube-qps` → `kubeQps`) → key path, for every key with a flag (render ones too). */
const PATH_OF_ATTRIBUTE: ReadonlyMap<string, string> = new Map(
  CONFIG_KEYS.filter((k) => k.flag !== undefined).map((k) => [new Option(flagSpec(k)).attributeName(), k.path]),
);

export function flagHelp(key: ConfigKey): string {
  const repeat = key.repeatable ? '; repeatable' : '';
  return `${key.help} (default: ${defaultTextOf(key)}; env ${key.env}${repeat})`;
}

export function addConfigFlags(command: Command, sections: readonly ConfigFlagSection[]): Command {
  const wanted = new Set<string>(sections);
  for (const key of CONFIG_KEYS) {
    if (key.flag === undefined || !wanted.has(key.section)) continue;
    const option = new Option(flagSpec(key), flagHelp(key));
    if (key.repeatable) option.argParser(collect);
    command.addOption(option);
  }
  if (!command.options.some((o) => o.long === CONFIG_FILE_FLAG)) {
    command.addOption(new Option(`${CONFIG_FILE_FLAG} <file>`, `YAML or JSON config file; flags override the environment, which overrides the file (env ${CONFIG_FILE_ENV})`));
  }
  return command;
}

/**
 * commander's option values (`{ kubeQps: '5', registry: ['http://a'] }`) → key paths
 * (`{ 'kube.qps': '5', ... }`). Options that are not configuration (a command's own, and
 * `config`) are left out; values stay as given and are coerced by loadConfig.
 */
export function flagsToConfigInput(flags: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [attribute, value] of Object.entries(flags)) {
    const keyPath = PATH_OF_ATTRIBUTE.get(attribute);
    if (keyPath !== undefined && value !== undefined) input[keyPath] = value;
  }
  return input;
}

function flagNameOf(key: ConfigKey): string {
  return key.flag ?? `--${key.path}`;
}

export function flagOriginOf(field: string): Origin {
  const key = keyOfField(field);
  if (key === undefined) return { source: 'flag', key: field };
  return originOfField({ source: 'flag', key: flagNameOf(key) }, key.path, field);
}

/** Flags given as key paths (see flagsToConfigInput) → a checked layer. */
export function flagLayer(flags: Readonly<Record<string, unknown>>, paths: PathContext): ConfigLayer {
  const flat = new Map<string, unknown>();
  for (const [keyPath, raw] of Object.entries(flags)) {
    if (raw === undefined) continue;
    const key = configKey(keyPath);
    if (key === undefined) throw configError({ source: 'flag', key: keyPath }, 'not a configuration key');
    flat.set(key.path, coerceValue(key, raw, { source: 'flag', key: flagNameOf(key) }));
  }
  return buildLayer('flag', nest(flat), flagOriginOf, paths);
}
