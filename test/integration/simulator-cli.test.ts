// `npm run simulator`: the standalone registry. Spawned as a real process, as a user runs it.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../lib/registry-simulator/main.ts', import.meta.url));
let dir: string;

function run(args: string[]): { child: ChildProcess; firstLine: Promise<string>; exit: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const nl = stdout.indexOf('\n');
      if (nl >= 0) resolve(stdout.slice(0, nl));
    });
    child.on('exit', () => reject(new Error(`exited before printing a line; stderr: ${stderr}`)));
  });
  firstLine.catch(() => undefined);
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { child, firstLine, exit };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sc-sim-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('registry simulator CLI', () => {
  it('replays a seed dump, prints its base URL first, and stops cleanly on SIGTERM', async () => {
    const seed = path.join(dir, 'dump.json');
    const serviceId = 'a'.repeat(40);
    await writeFile(
      seed,
      JSON.stringify({
        allServicesDetail: [
          {
            microService: { serviceId, appId: 'shop', serviceName: 'orders', version: '1.2.0', environment: 'production' },
            instances: [{ instanceId: 'inst-1', hostName: 'orders-1', endpoints: ['rest://10.0.0.7:8080'], status: 'UP' }],
          },
          { microService: { serviceId: 'b'.repeat(40), appId: 'shop', serviceName: 'idle', version: '1.0.0' } },
        ],
      }),
    );
    const p = run(['--port', '0', '--seed', seed]);
    const baseUrl = await p.firstLine;
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${baseUrl}/v4/default/govern/microservices?options=instances`);
    const dump = (await res.json()) as { allServicesDetail: { microService: { serviceId: string }; instances?: { instanceId: string }[] }[] };
    expect(dump.allServicesDetail.map((d) => d.microService.serviceId).sort()).toEqual([serviceId, 'b'.repeat(40)]);
    expect(dump.allServicesDetail.find((d) => d.microService.serviceId === serviceId)?.instances?.map((i) => i.instanceId)).toEqual(['inst-1']);
    p.child.kill('SIGTERM');
    expect((await p.exit).code).toBe(0);
  });

  it.each([
    [['--port', 'abc'], /--port.*'abc'|'abc'.*--port/],
    [['--port', '70000'], /70000/],
    [['--seed', '/nonexistent/dump.json'], /--seed "\/nonexistent\/dump\.json": cannot read/],
  ])('exits 1 naming the flag and value for %j', async (args, pattern) => {
    const p = run(args);
    const { code, stderr } = await p.exit;
    expect(code).toBe(1);
    expect(stderr).toMatch(pattern);
  });

  it('exits 1 for a seed that is not JSON or not a valid dump', async () => {
    const notJson = path.join(dir, 'bad.json');
    await writeFile(notJson, '{ nope');
    const invalid = path.join(dir, 'invalid.json');
    await writeFile(invalid, JSON.stringify({ allServicesDetail: [{ microService: { appId: 'x', version: '1.0.0' } }] }));
    const a = await run(['--port', '0', '--seed', notJson]).exit;
    expect(a.code).toBe(1);
    expect(a.stderr).toContain(`--seed ${JSON.stringify(notJson)}: not valid JSON`);
    const b = await run(['--port', '0', '--seed', invalid]).exit;
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(`--seed ${JSON.stringify(invalid)}: allServicesDetail[0]: service.serviceName is required`);
  });
});
