// `npm run -s kube-test-server -- [--port N] [--namespace NS]`: runs the test API server on
// its own (for kubectl or a local `sc2mesh run`). The first stdout line is the path of a
// kubeconfig for it; SIGTERM or SIGINT stops it cleanly.
import { Command, InvalidArgumentError } from 'commander';
import { startKubeApiServer } from './server.ts';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`--port must be an integer 0..65535 (got ${JSON.stringify(value)})`);
  }
  return port;
}

const program = new Command()
  .name('kube-test-server')
  .description('validating Kubernetes API server for networking.istio.io ServiceEntry, WorkloadEntry, DestinationRule, VirtualService, Sidecar (v1) and EnvoyFilter (v1alpha3) (tests and local runs)')
  .option('--port <port>', 'port on 127.0.0.1 (0: any free port)', parsePort, 0)
  .option('--namespace <namespace>', "the kubeconfig context's namespace", 'default')
  .option('--kubeconfig <path>', 'where to write the kubeconfig (default: a temp file)')
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 1);
  })
  .parse(process.argv);

const opts = program.opts<{ port: number; namespace: string; kubeconfig?: string }>();
const server = await startKubeApiServer({
  port: opts.port,
  namespace: opts.namespace,
  ...(opts.kubeconfig === undefined ? {} : { kubeconfigPath: opts.kubeconfig }),
});
process.stdout.write(`${server.kubeconfigPath}\n`);
process.stderr.write(`kube-test-server: listening on ${server.url} (namespace ${opts.namespace})\n`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`kube-test-server: ${signal}, stopping\n`);
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
