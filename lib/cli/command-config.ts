// Every operating command takes the same configuration: flags > SC2MESH_* > --config file > defaults.
import type { Command } from 'commander';
import { addConfigFlags, ConfigError, describeConfig, flagsToConfigInput, loadConfig, type ConfigFlagSection, type Sc2meshConfig } from '../config/index.ts';
import { addRenderFlags } from './render-flags.ts';
import { CliError } from './errors.ts';

export const OPERATE_SECTIONS: readonly ConfigFlagSection[] = ['registry', 'kube', 'out', 'state', 'guard', 'debounce', 'sync', 'audit', 'governance', 'sidecars', 'server', 'log'];

export function addOperateFlags(command: Command, sections: readonly ConfigFlagSection[] = OPERATE_SECTIONS): Command {
  addConfigFlags(command, sections);
  addRenderFlags(command);
  return command.option('--print-config', 'print the resolved configuration (secrets redacted) and exit');
}

export async function loadCommandConfig(opts: Record<string, unknown>, stdout: NodeJS.WritableStream): Promise<Sc2meshConfig | undefined> {
  let config: Sc2meshConfig;
  try {
    config = await loadConfig({ flags: flagsToConfigInput(opts), env: process.env, ...(typeof opts['config'] === 'string' ? { configFile: opts['config'] } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  if (opts['printConfig'] === true) {
    stdout.write(describeConfig(config));
    return undefined;
  }
  return config;
}
