import { describe, it, expect } from '@jest/globals';
import { Command } from 'commander';
import { addRenderFlags } from '../cli/render-flags.ts';
import { addConfigFlags, flagsToConfigInput } from './flags.ts';
import { loadConfig } from './load.ts';
import { CONFIG_KEYS } from './keys.ts';
import { expectConfigError } from '../../test/support/config-expect.ts';

const env = { HOME: '/home/tester' };

function command(): Command {
  return new Command('sync').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} }).option('--dry-run', 'the command\'s own flag');
}

function parse(cmd: Command, argv: readonly string[]): Record<string, unknown> {
  cmd.parse([...argv], { from: 'user' });
  return cmd.opts();
}

describe('addConfigFlags', () => {
  it('adds the flags of the chosen sections and --config, with no commander defaults', () => {
    const cmd = addConfigFlags(command(), ['kube', 'out', 'guard']);
    const longs = cmd.options.map((o) => o.long);
    expect(longs).toEqual(expect.arrayContaining(['--kube-mode', '--kubeconfig', '--kube-context', '--kube-qps', '--eks-cluster-name', '--out', '--force', '--config']));
    expect(longs).not.toContain('--registry');
    expect(longs).not.toContain('--table');
    expect(parse(cmd, [])).toEqual({});
  });

  it('turns parsed flags into key paths, leaving the command\'s own options and --config out', () => {
    const cmd = addConfigFlags(command(), ['registry', 'kube', 'out', 'guard', 'state', 'debounce']);
    const opts = parse(cmd, ['--registry', 'http://a:1', '--registry', 'http://b:2', '--kube-qps', '5', '--force', '--out', 'dir', '--table', 't1', '--quiet-ms', '200', '--config', 'c.yaml', '--dry-run']);
    expect(opts['config']).toBe('c.yaml');
    expect(flagsToConfigInput(opts)).toEqual({
      'registry.addresses': ['http://a:1', 'http://b:2'],
      'kube.qps': '5',
      'guard.force': true,
      out: 'dir',
      'state.table': 't1',
      'debounce.quietMs': '200',
    });
  });

  it('rejects a flag of a section that was not added', () => {
    const cmd = addConfigFlags(command(), ['log']);
    expect(() => parse(cmd, ['--kube-qps', '5'])).toThrow(/unknown option '--kube-qps'/);
  });

  it('shows the default and the variable in the help', () => {
    const help = addConfigFlags(command(), ['kube', 'server']).helpInformation().replace(/\s+/g, ' ');
    expect(help).toContain('--kube-qps <n> client-side rate limit on API calls per second; 0 = off (default: 50; env SC2MESH_KUBE_QPS)');
    expect(help).toContain('--server-port <port>');
    expect(help).toContain('SC2MESH_CONFIG');
  });

  it('does not add --config twice', () => {
    const cmd = addConfigFlags(addConfigFlags(command(), ['log']), ['sync']);
    expect(cmd.options.filter((o) => o.long === '--config')).toHaveLength(1);
  });

  it('maps the render flags of lib/cli/render-flags.ts too', async () => {
    const cmd = addConfigFlags(addRenderFlags(command()), ['log']);
    const opts = parse(cmd, ['--namespace', 'mesh', '--label', 'team=a', '--label', 'tier=b', '--publish-statuses', 'up,testing', '--destination-rules', '--exclude', 'x', '--log-level', 'warn']);
    const input = flagsToConfigInput(opts);
    expect(input).toEqual({
      'render.namespace': 'mesh',
      'render.extraLabels': ['team=a', 'tier=b'],
      'render.publishStatuses': 'up,testing',
      'render.destinationRules': true,
      'render.excludeServices': ['x'],
      'log.level': 'warn',
    });
    const config = await loadConfig({ flags: input, env, cwd: '/srv' });
    expect(config.render).toMatchObject({ namespace: 'mesh', extraLabels: { team: 'a', tier: 'b' }, publishStatuses: ['UP', 'TESTING'], destinationRules: true });
    expect(config.render.excludeServices).toEqual(['x', 'sc2mesh-watcher']);
    expect(config.log.level).toBe('warn');
  });

  it('names a bad map entry from a repeatable flag', async () => {
    await expectConfigError(loadConfig({ flags: flagsToConfigInput({ label: ['Bad Key=a'] }), env, cwd: '/srv' }), {
      key: '--label (key "Bad Key")',
      source: 'flag',
      says: ['not a valid key'],
    });
  });

  it('gives every key a distinct flag, and none to the password', () => {
    const flags = CONFIG_KEYS.flatMap((k) => (k.flag === undefined ? [] : [k.flag]));
    expect(new Set(flags).size).toBe(flags.length);
    expect(CONFIG_KEYS.find((k) => k.path === 'registry.password')?.flag).toBeUndefined();
    expect(CONFIG_KEYS.filter((k) => k.flag === undefined).map((k) => k.path)).toEqual(['registry.password']);
  });
});
