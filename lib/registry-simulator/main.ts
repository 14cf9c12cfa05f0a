// Runs the registry simulator on its own: a local ServiceComb-compatible registry.
//   npm run -s simulator -- [--port N] [--seed FILE] [--auth NAME:PASSWORD]
// The first line on stdout is the base URL; SIGTERM or SIGINT stops it cleanly.
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { startRegistrySimulator, type RegistrySimulatorOptions } from './simulator.ts';

function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('expected an integer from 0 to 65535');
  return Number(value);
}

function parseMs(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number of milliseconds');
  return Number(value);
}

function parseUser(value: string): { name: string; password: string } {
  const at = value.indexOf(':');
  if (at <= 0 || at === value.length - 1) throw new InvalidArgumentError('expected NAME:PASSWORD');
  return { name: value.slice(0, at), password: value.slice(at + 1) };
}

function fail(message: string): never {
  process.stderr.write(`registry-simulator: ${message}\n`);
  process.exit(1);
}

async function loadSeed(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    fail(`--seed ${JSON.stringify(file)}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    fail(`--seed ${JSON.stringify(file)}: not valid JSON (${(error as Error).message})`);
  }
}

async function main(): Promise<void> {
  const program = new Command()
    .name('registry-simulator')
    .description('A local ServiceComb service-center compatible registry (v4 REST API and instance watch) on 127.0.0.1.')
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, 30100)
    .option('--seed <file>', 'govern dump JSON ({"allServicesDetail":[...]}, optionally "governance": {kind: [rule]}) to load at start; its instances are kept alive')
    .option('--auth <name:password>', 'turn token auth (POST /v4/token) on with this user', parseUser)
    .option('--dependency-delay <ms>', 'delay before a find is recorded as a dependency', parseMs, 100)
    .showHelpAfterError()
    .parse();
  const opts = program.opts<{ port: number; seed?: string; auth?: { name: string; password: string }; dependencyDelay: number }>();

  const options: RegistrySimulatorOptions = { port: opts.port, dependencyDelayMs: opts.dependencyDelay };
  if (opts.auth !== undefined) options.auth = { users: { [opts.auth.name]: opts.auth.password } };
  if (opts.seed !== undefined) options.seed = await loadSeed(opts.seed);

  let sim;
  try {
    sim = await startRegistrySimulator(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (opts.seed !== undefined && message.startsWith('seed:')) fail(`--seed ${JSON.stringify(opts.seed)}: ${message.slice('seed: '.length)}`);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') fail(`--port ${opts.port}: already in use`);
    fail(message);
  }
  process.stdout.write(`${sim.baseUrl}\n`);
  const stats = sim.listServices();
  process.stderr.write(`registry-simulator: serving ${stats.length} service(s) on ${sim.baseUrl} (watch: ${sim.wsBaseUrl})\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`registry-simulator: ${signal}, stopping\n`);
    sim.close().then(
      () => process.exit(0),
      (error: unknown) => fail(`stopping failed: ${String(error)}`),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
