// Every rule's fate over a whole registry: per service from the reports, and once for
// the rules no published service is governed by, the ones refused at the boundary and the
// disabled ones. `sc2mesh governance`, `sc2mesh render` and the pipeline's metrics and
// status all count from this one summary.
import type { Fit } from './mapping-table.ts';
import type { GovernanceReport, GovernedObjectKind } from './report.ts';
import type { RejectedRule, RuleRef, RuleSet } from './rules.ts';
import { rulesGoverningNothing } from './unused.ts';
import { compareRefs, compareText } from './compare.ts';

export interface RuleRow extends RuleRef {
  /** the service key; undefined for a rule that governs no published service */
  service: string | undefined;
  fit: Fit;
  shaped: GovernedObjectKind[];
  /** what differs (approximate) or why nothing was written (not mapped); exact fields left out */
  notes: string[];
}

export interface GovernanceSummary {
  /** one per rule and service it concerns, by rule then service; a rule governing nothing has one row without a service */
  rows: RuleRow[];
  rejected: RejectedRule[];
  disabled: RuleRef[];
  counts: {
    /** distinct rules (kind, name, id) read and enabled */
    rules: number;
    exact: number;
    approximate: number;
    /** mapped for no service at all, or governing no published service */
    notMapped: number;
    rejected: number;
    disabled: number;
  };
}

const GOVERNS_NOTHING = 'governs no published service (its selector, services list or match group names none)';

function refKey(r: RuleRef): string {
  return `${r.kind}\u0000${r.name}\u0000${r.id}`;
}

export function summarizeGovernance(rules: RuleSet, reports: readonly GovernanceReport[]): GovernanceSummary {
  const rows: RuleRow[] = [];
  for (const report of reports) {
    for (const fate of report.rules) {
      const notes = fate.fields.filter((f) => f.fit !== 'exact').map((f) => `${f.field}: ${f.note === '' ? f.istio : f.note}`);
      rows.push({ kind: fate.kind, name: fate.name, id: fate.id, service: report.service, fit: fate.fit, shaped: fate.shaped, notes });
    }
  }
  for (const r of rulesGoverningNothing(rules, reports)) rows.push({ ...r, service: undefined, fit: 'not-mapped', shaped: [], notes: [GOVERNS_NOTHING] });
  rows.sort((a, b) => compareRefs(a, b) || compareText(a.service ?? '', b.service ?? ''));

  // A rule's overall fate: its best over the services it concerns.
  const best = new Map<string, Fit>();
  const rank: Record<Fit, number> = { exact: 2, approximate: 1, 'not-mapped': 0 };
  for (const row of rows) {
    const seen = best.get(refKey(row));
    if (seen === undefined || rank[row.fit] > rank[seen]) best.set(refKey(row), row.fit);
  }
  let exact = 0;
  let approximate = 0;
  let notMapped = 0;
  for (const fit of best.values()) {
    if (fit === 'exact') exact++;
    else if (fit === 'approximate') approximate++;
    else notMapped++;
  }
  return {
    rows,
    rejected: rules.rejected,
    disabled: rules.disabled,
    counts: { rules: best.size, exact, approximate, notMapped, rejected: rules.rejected.length, disabled: rules.disabled.length },
  };
}

/** Text lines: one per row, its notes indented under it; then refused and disabled rules. */
export function summaryLines(summary: GovernanceSummary): string[] {
  const lines: string[] = [];
  for (const row of summary.rows) {
    const objects = row.shaped.length === 0 ? '' : ` → ${row.shaped.join(', ')}`;
    lines.push(`${row.kind}/${row.name} ${row.service === undefined ? '(no service)' : `for ${row.service}`}: ${row.fit}${objects}`);
    for (const note of row.notes) lines.push(`  ${note}`);
  }
  for (const r of summary.rejected) lines.push(`rejected ${r.message}`);
  for (const r of summary.disabled) lines.push(`disabled ${r.kind}/${r.name} (id ${r.id}): not mapped while disabled`);
  return lines;
}
