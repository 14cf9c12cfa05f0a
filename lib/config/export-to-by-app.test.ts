// render.exportToByApp and render.subsets from each layer, and Istio's exportTo rules
// reported under the name the user wrote.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { Command } from 'commander';
import { parse } from 'yaml';
import { addRenderFlags } from '../cli/render-flags.ts';
import { describeConfig } from './describe.ts';
import { flagsToConfigInput } from './flags.ts';
import { loadConfig } from './load.ts';
import { configReferenceMarkdown } from './reference.ts';
import { expectConfigError, scratch, type Scratch } from '../../test/support/config-expect.ts';

const env = { HOME: '/home/tester' };
const CWD = '/srv/sc2mesh';

let tmp: Scratch;
beforeAll(async () => {
  tmp = await scratch();
});
afterAll(async () => {
  await tmp.remove();
});

describe('render.exportToByApp', () => {
  it('defaults to no app of its own and the global exportTo unset', async () => {
    const config = await loadConfig({ env, cwd: CWD });
    expect(config.render.exportToByApp).toEqual({});
    expect(config.render.exportTo).toBeUndefined();
    expect(config.render.subsets).toBe('multi-version');
  });

  it('reads a mapping of lists from the file, "environment/app" keys included', async () => {
    const file = await tmp.write(
      'by-app.yaml',
      'render:\n  exportTo: [istio-system]\n  exportToByApp:\n    shop: [shop-web, shop-api]\n    production/bank: ["."]\n    media: ["*"]\n    secret: ["~"]\n  subsets: always\n',
    );
    const config = await loadConfig({ configFile: file, env, cwd: CWD });
    expect(config.render.exportToByApp).toEqual({ shop: ['shop-web', 'shop-api'], 'production/bank': ['.'], media: ['*'], secret: ['~'] });
    expect(config.render.exportTo).toEqual(['istio-system']);
    expect(config.render.subsets).toBe('always');
  });

  it('reads app=ns,ns;app2=ns from the environment', async () => {
    const config = await loadConfig({ env: { ...env, SC2MESH_RENDER_EXPORT_TO_BY_APP: ' shop = shop-web, shop-api ; production/bank=. ;', SC2MESH_RENDER_SUBSETS: 'always' }, cwd: CWD });
    expect(config.render.exportToByApp).toEqual({ shop: ['shop-web', 'shop-api'], 'production/bank': ['.'] });
    expect(config.render.subsets).toBe('always');
  });

  it('reads one app per repeated --export-to-app flag', async () => {
    const cmd = addRenderFlags(new Command('t').exitOverride());
    cmd.parse(['--export-to-app', 'shop=shop-web,shop-api', '--export-to-app', 'production/bank=.', '--subsets', 'always'], { from: 'user' });
    const input = flagsToConfigInput(cmd.opts());
    expect(input).toEqual({ 'render.exportToByApp': ['shop=shop-web,shop-api', 'production/bank=.'], 'render.subsets': 'always' });
    const config = await loadConfig({ flags: input, env, cwd: CWD });
    expect(config.render.exportToByApp).toEqual({ shop: ['shop-web', 'shop-api'], 'production/bank': ['.'] });
  });

  it('lets a higher layer replace the whole map', async () => {
    const file = await tmp.write('layers.yaml', 'render:\n  exportToByApp:\n    shop: [a]\n    bank: [b]\n');
    const config = await loadConfig({ configFile: file, env: { ...env, SC2MESH_RENDER_EXPORT_TO_BY_APP: 'shop=c' }, cwd: CWD });
    expect(config.render.exportToByApp).toEqual({ shop: ['c'] });
  });

  it.each([
    ['shop=Shop_Web', 'SC2MESH_RENDER_EXPORT_TO_BY_APP (key "shop[0]")', ['DNS-1123', '"Shop_Web"']],
    ['shop=*,shop-web', 'SC2MESH_RENDER_EXPORT_TO_BY_APP (key "shop[0]")', ['"*" (every namespace) cannot be combined']],
    ['shop=a,~', 'SC2MESH_RENDER_EXPORT_TO_BY_APP (key "shop[1]")', ['"~" (no namespace) cannot be combined']],
    ['shop=a,a', 'SC2MESH_RENDER_EXPORT_TO_BY_APP (key "shop[1]")', ['repeats entry 0']],
    ['shop=.,sc2mesh', 'SC2MESH_RENDER_EXPORT_TO_BY_APP (key "shop[1]")', ['repeats entry 0', 'own namespace, "sc2mesh"']],
    ['shop=', 'SC2MESH_RENDER_EXPORT_TO_BY_APP (key "shop")', ['needs at least one namespace']],
    ['a/b/c=x', 'SC2MESH_RENDER_EXPORT_TO_BY_APP (key "a/b/c")', ['one "/" at most']],
    ['/shop=x', 'SC2MESH_RENDER_EXPORT_TO_BY_APP (key "/shop")', ['empty environment']],
    ['my shop=x', 'SC2MESH_RENDER_EXPORT_TO_BY_APP (key "my shop")', ['service-center appId']],
  ])('refuses %j naming the entry and the value', async (value, key, says) => {
    await expectConfigError(loadConfig({ env: { ...env, SC2MESH_RENDER_EXPORT_TO_BY_APP: value }, cwd: CWD }), { key, source: 'env', says });
  });

  it('says how to separate apps when a comma was used', async () => {
    await expectConfigError(loadConfig({ env: { ...env, SC2MESH_RENDER_EXPORT_TO_BY_APP: 'shop=a,bank=b' }, cwd: CWD }), {
      key: 'SC2MESH_RENDER_EXPORT_TO_BY_APP',
      source: 'env',
      says: ['separate entries with ";"', '"shop=a,bank=b"'],
    });
    await expectConfigError(loadConfig({ env: { ...env, SC2MESH_RENDER_EXPORT_TO_BY_APP: 'shop=a;shop=b' }, cwd: CWD }), { key: 'SC2MESH_RENDER_EXPORT_TO_BY_APP', source: 'env', says: ['"shop" is given twice'] });
    await expectConfigError(loadConfig({ env: { ...env, SC2MESH_RENDER_EXPORT_TO_BY_APP: 'shop' }, cwd: CWD }), { key: 'SC2MESH_RENDER_EXPORT_TO_BY_APP', source: 'env', says: ['expected key=value'] });
  });

  it('names the file path of a bad entry, and refuses a non-list value', async () => {
    const bad = await tmp.write('bad.yaml', 'render:\n  exportToByApp:\n    shop: [ok, Not-OK]\n');
    await expectConfigError(loadConfig({ configFile: bad, env, cwd: CWD }), { key: 'render.exportToByApp.shop[1]', source: 'file', says: [bad, '"Not-OK"'] });
    const scalar = await tmp.write('scalar.yaml', 'render:\n  exportToByApp:\n    shop: shop-web\n');
    await expectConfigError(loadConfig({ configFile: scalar, env, cwd: CWD }), { key: 'render.exportToByApp.shop', source: 'file', says: ['expected a list'] });
  });

  it('checks "." against the namespace only once every layer is merged', async () => {
    // the file alone looks like a duplicate under the default namespace; the environment moves it
    const file = await tmp.write('dot.yaml', 'render:\n  exportTo: [".", sc2mesh]\n  exportToByApp:\n    shop: [".", sc2mesh]\n');
    const config = await loadConfig({ configFile: file, env: { ...env, SC2MESH_RENDER_NAMESPACE: 'mesh' }, cwd: CWD });
    expect(config.render.exportToByApp).toEqual({ shop: ['.', 'sc2mesh'] });
    await expectConfigError(loadConfig({ configFile: file, env, cwd: CWD }), { key: 'render.exportTo[1]', source: 'file', says: ['repeats entry 0'] });
  });

  it('applies the same Istio rules to the global render.exportTo', async () => {
    await expectConfigError(loadConfig({ env: { ...env, SC2MESH_RENDER_EXPORT_TO: '*,istio-system' }, cwd: CWD }), { key: 'SC2MESH_RENDER_EXPORT_TO[0]', source: 'env', says: ['cannot be combined'] });
    const config = await loadConfig({ env: { ...env, SC2MESH_RENDER_EXPORT_TO: '.,istio-system' }, cwd: CWD });
    expect(config.render.exportTo).toEqual(['.', 'istio-system']);
  });

  it('refuses an unknown subsets mode', async () => {
    await expectConfigError(loadConfig({ env: { ...env, SC2MESH_RENDER_SUBSETS: 'sometimes' }, cwd: CWD }), { key: 'SC2MESH_RENDER_SUBSETS', source: 'env', says: ['"sometimes"'] });
  });

  it('prints YAML that loads back to the same map, aliases quoted', async () => {
    // in-cluster: the printed kubeconfig path would have to exist to load back
    const config = await loadConfig({ env: { ...env, SC2MESH_RENDER_EXPORT_TO_BY_APP: 'shop=shop-web,istio-system;production/bank=.;media=*;hidden=~', SC2MESH_KUBE_MODE: 'in-cluster' }, cwd: CWD });
    const text = describeConfig(config);
    expect(text).toContain('# env SC2MESH_RENDER_EXPORT_TO_BY_APP');
    expect(parse(text).render.exportToByApp).toEqual(config.render.exportToByApp);
    const again = await loadConfig({ configFile: await tmp.write('printed.yaml', text), env, cwd: '/elsewhere' });
    expect(again.render).toEqual(config.render);
    expect(text).toMatch(/exportToByApp: \{ shop: \[ shop-web, istio-system \], production\/bank: \[ "?\."? \], media: \[ "\*" \], hidden: \[ "?~"? \] \}/);
  });

  it('documents both keys in the reference table', () => {
    const table = configReferenceMarkdown();
    expect(table).toContain('| `render.exportToByApp` | `SC2MESH_RENDER_EXPORT_TO_BY_APP` | `--export-to-app <app=namespaces>` (repeatable) | `none` |');
    expect(table).toContain('| `render.subsets` | `SC2MESH_RENDER_SUBSETS` | `--subsets <mode>` | `multi-version` |');
  });
});
