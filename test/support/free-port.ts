// Port 0 means "off" in sc2mesh's configuration, so a test that needs a listening ops or
// health server asks the kernel for a free port first. A random port in a fixed range
// collided with other suites' listeners under Jest's parallel workers (EADDRINUSE in CI).
import { createServer, type AddressInfo } from 'node:net';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
