// The rules every step renders with. The sync, the push and the resync must render the
// same objects for a service or they would undo each other, so each reads the rules the
// same way, once per run: all kinds listed, a kind the registry does not serve (404)
// reported and taken as holding no rule, and anything else that fails makes the run's
// rules unknown (RegistryReadError): the caller then writes and deletes nothing that
// depends on them.
import { governanceOptionsOf, parseGovernance, type GovernanceInput } from '../governance/index.ts';
import type { Logger } from '../log.ts';
import { RegistryReadError, type PipelineDeps } from './contracts.ts';

export type GovernanceReadDeps = Pick<PipelineDeps, 'registry' | 'render' | 'governance' | 'metrics'>;

/** undefined when governance is off. */
export async function readGovernanceInput(deps: GovernanceReadDeps, log: Logger): Promise<GovernanceInput | undefined> {
  if (deps.governance?.enabled !== true) return undefined;
  if (deps.registry.readGovernance === undefined) throw new RegistryReadError('governance is enabled but this registry source cannot list governance rules');
  let listing;
  try {
    listing = await deps.registry.readGovernance();
  } catch (error) {
    deps.metrics.add('governance_unavailable');
    throw error instanceof RegistryReadError ? error : new RegistryReadError(`governance rules unreadable: ${(error as Error).message}`, { cause: error });
  }
  for (const u of listing.unavailable) log.warn({ kind: u.kind, status: u.status }, `governance kind ${u.kind} not served by the registry (${u.message}); taken as holding no rule`);
  const rules = parseGovernance(listing.lists);
  for (const r of rules.rejected) log.warn({ kind: r.kind, rule: r.name, id: r.id, field: r.field }, `governance rule refused: ${r.message}`);
  return { rules, options: governanceOptionsOf(deps.render, deps.governance) };
}
