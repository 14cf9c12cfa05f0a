// The bad-input corpus (test/fixtures/bad-input/): every malformed input sc2mesh can be
// handed from outside, each with its defined outcome. Registry data: the document is
// refused naming the field, or the one service is rejected/skipped/warned about while
// every other service still renders. Queue messages, Lambda events, configuration and
// CLI flags: an error naming the field and the value. Nothing is dropped silently.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { parseGovernDump, type GovernDump } from '../../lib/model/govern-dump.ts';
import { ValidationError } from '../../lib/model/validation.ts';
import { INSTANCE_ID_ANNOTATION } from '../../lib/model/ownership.ts';
import type { IstioObject } from '../../lib/model/istio.ts';
import { renderRegistry, type RegistryRender } from '../../lib/render/render-registry.ts';
import { resolveRenderOptions, type RenderOptions } from '../../lib/render/options.ts';
import { groupServices } from '../../lib/render/service-group.ts';
import { runCli } from '../support/run-cli.ts';
import { parseDirtyMessage } from '../../lib/queue/dirty-message.ts';
import { parsePushEvent, parseResyncEvent, parseSyncEvent } from '../../lib/runtime/lambda-events.ts';
import { loadConfig } from '../../lib/config/index.ts';
import { expectConfigError } from '../support/config-expect.ts';
import { handlePushBatch } from '../../lib/pipeline/push-batch.ts';
import { DEFAULT_DEBOUNCE_CONFIG } from '../../lib/debounce/config.ts';
import { listManifests } from '../../lib/output/manifest-folder.ts';
import { serviceKeyOf } from '../../lib/names/service-names.ts';
import { createLogger } from '../../lib/log.ts';
import type { QueueRecord } from '../../lib/queue/work-queue.ts';
import { assertValidIstioObjects } from '../../lib/istio-validator/index.ts';
import { detail, instance, service } from '../support/registry-builders.ts';
import { startHarness } from '../support/pipeline-harness.ts';

const CORPUS_DIR = 'test/fixtures/bad-input';

// ---- corpus files: read strictly, so a typo in an expectation fails instead of being ignored

/**
 * Small generators keep the data files small: `{"$repeat": s, "times": n}` is s repeated,
 * `{"$join": [...]}` the parts joined, and inside a list `{"$each": "x{i}", "from": a,
 * "to": b}` the strings x{a}..x{b}.
 */
function expand(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.flatMap((item: unknown) => {
      if (isRecord(item) && typeof item['$each'] === 'string') {
        const template = item['$each'];
        const from = Number(item['from']);
        const to = Number(item['to']);
        return Array.from({ length: to - from + 1 }, (_, k) => template.replaceAll('{i}', String(from + k)));
      }
      return [expand(item)];
    });
  }
  if (!isRecord(value)) return value;
  if (typeof value['$repeat'] === 'string') return value['$repeat'].repeat(Number(value['times']));
  if (Array.isArray(value['$join'])) return value['$join'].map((part) => String(expand(part))).join('');
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v)]));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readCorpus<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  const raw = JSON.parse(readFileSync(path.join(CORPUS_DIR, file), 'utf8')) as unknown;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  return expand(parsed.data) as z.infer<S>;
}

const says = z.array(z.string()).min(1);
/**
 * A case whose defined outcome sc2mesh does not meet yet: `now` is what it says today.
 * The test checks `now` and that the defined outcome is still missed, so it fails (and
 * the marker must go) once the issue is fixed.
 */
const KnownIssue = z.strictObject({ note: z.string().min(1), now: says }).optional();
type KnownIssue = z.infer<typeof KnownIssue>;

const RegistryCase = z.strictObject({
  id: z.string(),
  why: z.string(),
  dump: z.unknown().optional(),
  entries: z.array(z.unknown()).min(1).optional(),
  expect: z.discriminatedUnion('outcome', [
    z.strictObject({ outcome: z.literal('refused'), field: z.string(), says }),
    z.strictObject({ outcome: z.literal('rejected'), service: z.string(), field: z.string(), says }),
    z.strictObject({ outcome: z.literal('skipped'), service: z.string(), says }),
    // the bad instance is left out, named with every bad endpoint; the service's others are published
    z.strictObject({ outcome: z.literal('instance-skipped'), service: z.string(), instance: z.string(), says, published: z.array(z.string()) }),
    z.strictObject({ outcome: z.literal('warned'), service: z.string(), says, published: z.array(z.unknown()).min(1) }),
    z.strictObject({ outcome: z.literal('rendered'), service: z.unknown(), published: z.array(z.unknown()).min(1) }),
    z.strictObject({ outcome: z.literal('excluded'), service: z.string() }),
  ]),
});
type RegistryCase = z.infer<typeof RegistryCase>;

const registryCorpus = readCorpus(
  'registry.json',
  z.strictObject({ companion: z.strictObject({ display: z.string(), entry: z.unknown() }), cases: z.array(RegistryCase).min(20) }),
);

const CliRenderCase = z.strictObject({
  id: z.string(),
  why: z.string(),
  registryCase: z.string().optional(),
  bom: z.literal(true).optional(),
  text: z.string().optional(),
  path: z.string().optional(),
  expect: z.strictObject({ exit: z.union([z.literal(0), z.literal(1), z.literal(3)]), stderr: says, stdout: z.array(z.string()).optional() }),
});
const cliRenderCorpus = readCorpus('cli-render.json', z.strictObject({ cases: z.array(CliRenderCase).min(1) }));

const QueueExpect = z.strictObject({ field: z.string(), says });
const QueueCase = z.strictObject({
  id: z.string(),
  why: z.string(),
  text: z.string().optional(),
  body: z.unknown().optional(),
  expect: QueueExpect,
  knownIssue: KnownIssue,
});
const queueCorpus = readCorpus(
  'queue.json',
  z.strictObject({
    valid: z.strictObject({ id: z.string(), why: z.string(), body: z.unknown() }),
    cases: z.array(QueueCase).min(10),
    accepted: z.array(z.strictObject({ id: z.string(), why: z.string(), body: z.unknown(), expect: z.unknown() })),
  }),
);

const LambdaCase = z.strictObject({
  id: z.string(),
  why: z.string(),
  parser: z.enum(['push', 'resync', 'sync']),
  event: z.unknown(),
  expect: QueueExpect,
});
const lambdaCorpus = readCorpus('lambda-events.json', z.strictObject({ cases: z.array(LambdaCase).min(8) }));

const ConfigCase = z.strictObject({
  id: z.string(),
  why: z.string(),
  file: z.strictObject({ name: z.string(), text: z.string() }).optional(),
  configFile: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  flags: z.record(z.string(), z.unknown()).optional(),
  expect: z.strictObject({
    key: z.string(),
    source: z.enum(['flag', 'env', 'file', 'default']),
    says,
    hides: z.array(z.string()).optional(),
  }),
  knownIssue: KnownIssue,
});
const configCorpus = readCorpus('config.json', z.strictObject({ cases: z.array(ConfigCase).min(10) }));

const CliFlagCase = z.strictObject({ id: z.string(), args: z.array(z.string()).min(1), expect: z.strictObject({ stderr: says }), knownIssue: KnownIssue });
const cliFlagCorpus = readCorpus('cli-flags.json', z.strictObject({ input: z.string(), cases: z.array(CliFlagCase).min(5) }));

// ---- helpers

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but the input was accepted');
}

/** The text holds every fragment; for a known issue, what it says today and not yet all it should. */
function expectFragments(text: string, fragments: readonly string[], known?: KnownIssue): void {
  if (known === undefined) {
    for (const fragment of fragments) expect(text).toContain(fragment);
    return;
  }
  for (const fragment of known.now) expect(text).toContain(fragment);
  const missing = fragments.filter((f) => !text.includes(f));
  // Fails once the issue is fixed: then drop the case's knownIssue.
  expect({ knownIssue: known.note, stillMissing: missing.length > 0 }).toEqual({ knownIssue: known.note, stillMissing: true });
}

function expectValidationError(error: unknown, field: string, fragments: readonly string[], known?: KnownIssue): void {
  expect(error).toBeInstanceOf(ValidationError);
  const e = error as ValidationError;
  expect(e.field).toBe(field);
  // the document root is spelt `dump` in the message
  if (field !== '(root)') expect(e.message.startsWith(`${field}: `)).toBe(true);
  expectFragments(e.message, fragments, known);
  expect(e.message).not.toContain('\n');
}


/** A clear message, not a crash: no stack frames on stderr. */
function expectNoStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /);
}

let scratchDir = '';
beforeAll(async () => {
  scratchDir = await mkdtemp(path.join(os.tmpdir(), 'sc2mesh-bad-input-'));
});
afterAll(async () => {
  await rm(scratchDir, { recursive: true, force: true });
});

// ---- 1. registry payloads

function registryDocument(c: RegistryCase): unknown {
  if (c.dump !== undefined || c.entries === undefined) return c.dump ?? null;
  return { allServicesDetail: [registryCorpus.companion.entry, ...c.entries] };
}

const DEFAULT_OPTIONS: RenderOptions = resolveRenderOptions();

function instanceIdsOf(objects: readonly IstioObject[]): string[] {
  return objects
    .filter((o) => o.kind === 'WorkloadEntry')
    .map((o) => o.metadata.annotations?.[INSTANCE_ID_ANNOTATION] ?? '(none)')
    .sort();
}

/** Every entry and every instance is accounted for: published, or named in a reason. */
function expectNothingDropped(entryCount: number, dump: GovernDump, result: RegistryRender, options: RenderOptions): void {
  expect(dump.services.length + dump.rejected.length).toBe(entryCount);
  expect(new Set(dump.rejected.map((r) => r.index)).size).toBe(dump.rejected.length);
  const groups = groupServices(dump.services);
  const outcomes = [...result.services.map((s) => s.key), ...result.skipped.map((s) => s.key)].sort();
  expect(outcomes).toEqual(groups.map((g) => g.key).sort());
  for (const rendered of result.services) {
    if (rendered.excluded) {
      expect(rendered.objects).toEqual([]);
      continue;
    }
    const group = groups.find((g) => g.key === rendered.key);
    const published = new Set(instanceIdsOf(rendered.objects));
    for (const version of group?.versions ?? []) {
      for (const inst of version.instances) {
        if (!options.publishStatuses.includes(inst.status ?? 'UP')) continue;
        const named = rendered.warnings.some((w) => w.includes(`instance ${inst.instanceId}`)) || rendered.skippedInstances.some((k) => k.instanceId === inst.instanceId);
        if (!published.has(inst.instanceId) && !named) throw new Error(`${rendered.display}: instance ${inst.instanceId} silently not published`);
      }
    }
  }
  const names = result.objects.map((o) => `${o.kind}/${o.metadata.name}`);
  expect(new Set(names).size).toBe(names.length);
  assertValidIstioObjects(result.objects);
}

function expectCompanionRendered(result: RegistryRender): void {
  const good = result.services.find((s) => s.display === registryCorpus.companion.display);
  expect(good).toBeDefined();
  expect(good?.objects.map((o) => o.kind)).toEqual(['ServiceEntry', 'WorkloadEntry']);
  expect(instanceIdsOf(good?.objects ?? [])).toEqual(['good-1']);
}

describe('bad registry payloads (parseGovernDump → renderRegistry)', () => {
  it.each(registryCorpus.cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const document = registryDocument(c);
    const outcome = c.expect;
    if (outcome.outcome === 'refused') {
      expect(c.entries).toBeUndefined();
      expectValidationError(
        caught(() => parseGovernDump(structuredClone(document))),
        outcome.field,
        outcome.says,
      );
      return;
    }
    expect(c.entries).toBeDefined();
    const entryCount = (c.entries?.length ?? 0) + 1;
    const dump = parseGovernDump(structuredClone(document));
    const result = renderRegistry(dump.services, DEFAULT_OPTIONS);
    expectNothingDropped(entryCount, dump, result, DEFAULT_OPTIONS);
    expectCompanionRendered(result);

    const skippedDisplays = result.skipped.map((s) => s.display);
    switch (outcome.outcome) {
      case 'rejected': {
        // every entry of the case is rejected; only the companion goes on
        expect(dump.rejected).toHaveLength(entryCount - 1);
        expect(dump.services).toHaveLength(1);
        const rejected = dump.rejected.find((r) => r.service === outcome.service);
        expect(rejected).toBeDefined();
        expect(rejected?.reason.startsWith(`${outcome.field}: `)).toBe(true);
        for (const fragment of outcome.says) expect(rejected?.reason).toContain(fragment);
        expect(result.skipped).toEqual([]);
        break;
      }
      case 'skipped': {
        expect(dump.rejected).toEqual([]);
        expect(skippedDisplays).toEqual([outcome.service]);
        const reason = result.skipped[0]?.reason ?? '';
        for (const fragment of outcome.says) expect(reason).toContain(fragment);
        break;
      }
      case 'instance-skipped': {
        expect(dump.rejected).toEqual([]);
        expect(result.skipped).toEqual([]);
        const rendered = result.services.find((s) => s.display === outcome.service);
        expect(rendered?.skippedInstances.map((k) => k.instanceId)).toEqual([outcome.instance]);
        const reason = rendered?.skippedInstances[0]?.reason ?? '';
        for (const fragment of outcome.says) expect(reason).toContain(fragment);
        expect(instanceIdsOf(rendered?.objects ?? [])).toEqual([...outcome.published].sort());
        break;
      }
      case 'warned': {
        expect(dump.rejected).toEqual([]);
        expect(result.skipped).toEqual([]);
        const rendered = result.services.find((s) => s.display === outcome.service);
        expect(rendered).toBeDefined();
        const warning = rendered?.warnings.find((w) => outcome.says.every((f) => w.includes(f)));
        expect({ warning: warning ?? null, warnings: rendered?.warnings }).toEqual({ warning: expect.any(String), warnings: expect.anything() });
        expect(instanceIdsOf(rendered?.objects ?? [])).toEqual([...(outcome.published as string[])].sort());
        break;
      }
      case 'rendered': {
        expect(dump.rejected).toEqual([]);
        expect(result.skipped).toEqual([]);
        const rendered = result.services.find((s) => s.display === outcome.service);
        expect(rendered).toBeDefined();
        expect(rendered?.warnings).toEqual([]);
        expect(instanceIdsOf(rendered?.objects ?? [])).toEqual([...(outcome.published as string[])].sort());
        break;
      }
      case 'excluded': {
        expect(dump.rejected).toEqual([]);
        expect(result.skipped).toEqual([]);
        const rendered = result.services.find((s) => s.display === outcome.service);
        expect(rendered?.excluded).toBe(true);
        expect(rendered?.objects).toEqual([]);
        break;
      }
    }
  });

  it('renders every bad service of the corpus beside the others in one dump, each reported once', () => {
    const entries = registryCorpus.cases.flatMap((c) => c.entries ?? []);
    const dump = parseGovernDump(structuredClone({ allServicesDetail: [registryCorpus.companion.entry, ...entries] }));
    const result = renderRegistry(dump.services, DEFAULT_OPTIONS);
    expectNothingDropped(entries.length + 1, dump, result, DEFAULT_OPTIONS);
    expectCompanionRendered(result);
    const expectedRejected = registryCorpus.cases.filter((c) => c.expect.outcome === 'rejected').flatMap((c) => c.entries ?? []).length;
    expect(dump.rejected).toHaveLength(expectedRejected);
  });
});

describe('bad registry payloads through `sc2mesh render`', () => {
  it.each(cliRenderCorpus.cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    let file: string;
    if (c.path !== undefined) file = c.path;
    else {
      file = path.join(scratchDir, `cli-${c.id}.json`);
      let text: string;
      if (c.text !== undefined) text = c.text;
      else {
        const source = registryCorpus.cases.find((r) => r.id === c.registryCase);
        if (source === undefined) throw new Error(`${c.id}: no registry case ${String(c.registryCase)}`);
        text = `${c.bom === true ? '\uFEFF' : ''}${JSON.stringify(registryDocument(source))}`;
      }
      await writeFile(file, text);
    }
    const r = await runCli(['render', '--input', file]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: c.expect.exit, stderr: expect.any(String) });
    for (const fragment of c.expect.stderr) expect(r.stderr).toContain(fragment.replaceAll('$FILE', file));
    expectNoStackTrace(r.stderr);
    if (c.expect.exit === 1) expect(r.stdout).toBe('');
    for (const fragment of c.expect.stdout ?? []) expect(r.stdout).toContain(fragment);
  });
});

// ---- 2. queue messages

function bodyOf(c: { text?: string | undefined; body?: unknown }): string {
  return c.text ?? JSON.stringify(c.body);
}

describe('bad queue messages (parseDirtyMessage)', () => {
  it.each(queueCorpus.cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    expectValidationError(
      caught(() => parseDirtyMessage(bodyOf(c))),
      c.expect.field,
      c.expect.says,
      c.knownIssue,
    );
  });

  it.each(queueCorpus.accepted.map((c) => [c.id, c] as const))('accepted: %s', (_id, c) => {
    expect(parseDirtyMessage(JSON.stringify(c.body))).toEqual(c.expect);
  });
});

describe('a batch mixing every bad queue message with good ones (handlePushBatch)', () => {
  it('reports each bad message as a batch item failure, logs why, and still pushes the good ones', async () => {
    const h = await startHarness();
    try {
      h.registry.details = [0, 1].map((s) => detail(service({ serviceName: `svc${s}` }), [instance({ endpoints: [`rest://10.1.0.${s + 1}:8080`] })]));
      const keys = [0, 1].map((s) => serviceKeyOf({ environment: '', appId: 'shop', serviceName: `svc${s}` }));
      // the corpus's good messages name exactly these services
      expect([queueCorpus.valid.body, ...queueCorpus.accepted.map((a) => a.body)].map((b) => (b as { keys: string[] }).keys[0])).toEqual(keys);
      const logs = new PassThrough();
      let logText = '';
      logs.on('data', (chunk: Buffer) => (logText += chunk.toString()));
      const record = (id: string, body: string): QueueRecord => ({ messageId: id, body, receiveCount: 1, sentAt: h.clock.now() });
      const bad = queueCorpus.cases.map((c) => record(`bad-${c.id}`, bodyOf(c)));
      const good = [record('good-valid', JSON.stringify(queueCorpus.valid.body)), ...queueCorpus.accepted.map((a) => record(`good-${a.id}`, JSON.stringify(a.body)))];
      // good ones first, between and last, so position cannot matter
      const batch = [good[0] as QueueRecord, ...bad.slice(0, 5), ...good.slice(1), ...bad.slice(5)];
      const report = await handlePushBatch(
        batch,
        { ...h, logger: createLogger({ level: 'error', destination: logs }), debounce: { ...DEFAULT_DEBOUNCE_CONFIG, maxEvents: good.length } },
        'corpus',
      );
      expect(report.batchItemFailures).toEqual(batch.filter((r) => r.messageId.startsWith('bad-')).map((r) => ({ itemIdentifier: r.messageId })));
      expect(report.invalid).toBe(bad.length);
      expect(h.metrics.get('messages_invalid')).toBe(bad.length);
      expect(report.decision).toBe('push');
      expect([...report.pushed].sort()).toEqual(keys);
      expect(await listManifests(h.folder)).toHaveLength(4);
      const logged = logText
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { msg: string; messageId?: string; reason?: string });
      for (const c of queueCorpus.cases) {
        const line = logged.find((l) => l.messageId === `bad-${c.id}`);
        expect(line?.msg).toBe('invalid queue message');
        expect(line?.reason?.startsWith(`${c.expect.field}: `)).toBe(true);
      }
    } finally {
      await h.close();
    }
  });
});

// ---- 3. Lambda events

const PARSERS = { push: parsePushEvent, resync: parseResyncEvent, sync: parseSyncEvent } as const;

describe('bad Lambda events', () => {
  it.each(lambdaCorpus.cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    expectValidationError(
      caught(() => PARSERS[c.parser](structuredClone(c.event))),
      c.expect.field,
      c.expect.says,
    );
  });
});

// ---- 4. configuration files and environment

describe('bad configuration (loadConfig)', () => {
  it.each(configCorpus.cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const dir = path.join(scratchDir, `config-${c.id}`);
    await mkdir(dir, { recursive: true });
    let configFile = c.configFile;
    if (c.file !== undefined) {
      configFile = path.join(dir, c.file.name);
      await writeFile(configFile, c.file.text);
    }
    const fill = (s: string): string => (configFile === undefined ? s : s.replaceAll('$FILE', configFile));
    const error = await expectConfigError(loadConfig({ env: { HOME: dir, ...c.env }, cwd: dir, configFile, flags: c.flags }), {
      key: fill(c.expect.key),
      source: c.expect.source,
      hides: c.expect.hides,
    });
    expect(error.message.startsWith('invalid configuration: ')).toBe(true);
    expectFragments(error.message, c.expect.says.map(fill), c.knownIssue === undefined ? undefined : { ...c.knownIssue, now: c.knownIssue.now.map(fill) });
  });
});

// ---- 5. CLI flags

describe('bad `sc2mesh render` flags', () => {
  it.each(cliFlagCorpus.cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const r = await runCli(['render', '--input', cliFlagCorpus.input, ...c.args]);
    expect(r.code).toBe(1);
    expectFragments(r.stderr, c.expect.stderr, c.knownIssue);
    expectNoStackTrace(r.stderr);
    expect(r.stdout).toBe('');
  });
});

describe('the corpus itself', () => {
  it('holds the agreed minimum per category, with unique ids', () => {
    const counts = {
      registry: registryCorpus.cases.length + cliRenderCorpus.cases.length,
      queue: queueCorpus.cases.length + queueCorpus.accepted.length,
      lambda: lambdaCorpus.cases.length,
      config: configCorpus.cases.length,
      cliFlags: cliFlagCorpus.cases.length,
    };
    expect(counts.registry).toBeGreaterThanOrEqual(20);
    expect(counts.queue).toBeGreaterThanOrEqual(10);
    expect(counts.lambda).toBeGreaterThanOrEqual(8);
    expect(counts.config).toBeGreaterThanOrEqual(10);
    expect(counts.cliFlags).toBeGreaterThanOrEqual(5);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(50);
    for (const list of [registryCorpus.cases, cliRenderCorpus.cases, queueCorpus.cases, lambdaCorpus.cases, configCorpus.cases, cliFlagCorpus.cases]) {
      const ids = list.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });
});
