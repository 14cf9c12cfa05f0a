// Rules no published service's report mentions: their selector names no published
// app/environment, their `services` no published provider, or their match groups only
// other targets. Per-service reports cannot see them, so a run lists them once.
import type { GovernanceReport } from './report.ts';
import type { RuleRef, RuleSet } from './rules.ts';

export function rulesGoverningNothing(rules: RuleSet, reports: readonly GovernanceReport[]): RuleRef[] {
  const seen = new Set<string>();
  for (const report of reports) for (const r of report.rules) seen.add(`${r.kind}\u0000${r.name}\u0000${r.id}`);
  return [...rules.matchGroups, ...rules.policies]
    .filter((r) => !seen.has(`${r.kind}\u0000${r.name}\u0000${r.id}`))
    .map((r) => ({ kind: r.kind, name: r.name, id: r.id }));
}
