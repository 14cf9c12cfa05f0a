// The service-center client from configuration. Its own module, so the watcher bundle
// carries the registry client without the Kubernetes and DynamoDB code.
import { readFile } from 'node:fs/promises';
import type { Sc2meshConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { RegistryClient } from '../servicecenter/index.ts';

export async function createRegistryClient(config: Sc2meshConfig, logger: Logger): Promise<RegistryClient> {
  const r = config.registry;
  return new RegistryClient({
    addresses: r.addresses,
    domain: r.domain,
    project: r.project,
    timeoutMs: r.timeoutMs,
    breaker: { failureThreshold: r.breakerFailures, coolDownMs: r.breakerCoolDownMs },
    logger,
    ...(r.username === '' ? {} : { credentials: { name: r.username, password: r.password } }),
    tls: { rejectUnauthorized: !r.insecureSkipVerify, ...(r.caFile === '' ? {} : { ca: await readFile(r.caFile) }) },
  });
}
