// A rules file (`--governance RULES`, `sc2mesh governance --input RULES`): one JSON object
// whose keys are kinds as service-center's URL spells them and whose values are what
// `GET /v1/{project}/gov/{kind}` returns, so `curl` output per kind can be pasted in as
// it is. The lists are then judged rule by rule (rules.ts); here only the envelope.
import { describeValue, ValidationError } from '../model/validation.ts';
import { GOVERNANCE_KINDS, isGovernanceKind, type GovernanceKind } from './kinds.ts';

export function parseRulesFile(raw: unknown): Partial<Record<GovernanceKind, unknown>> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ValidationError(`(root): expected an object of kind → rule list, e.g. {"retry": [...]} (got ${describeValue(raw)})`, '(root)', raw);
  }
  const lists: Partial<Record<GovernanceKind, unknown>> = {};
  for (const [kind, list] of Object.entries(raw as Record<string, unknown>)) {
    // A misspelt kind would silently drop its rules: refuse it.
    if (!isGovernanceKind(kind)) throw new ValidationError(`${kind}: not a governance kind (expected one of ${GOVERNANCE_KINDS.join(', ')})`, kind, list);
    lists[kind] = list;
  }
  return lists;
}
