// What became of each rule for one service: a list of field fates, each naming a row of
// the mapping table, and the objects the rule shaped. The CLI and the render print it;
// a rule that shaped nothing (and is not settled by writing nothing) is `not-mapped`, one
// with any inexact field `approximate`.
import type { GovernanceKind } from './kinds.ts';
import { rowOf, type Fit, type RowId } from './mapping-table.ts';
import type { RuleRef } from './rules.ts';
import { compareRefs } from './compare.ts';

export type GovernedObjectKind = 'VirtualService' | 'DestinationRule' | 'EnvoyFilter';

export interface FieldFate {
  row: RowId;
  fit: Fit;
  /** where in the rule, e.g. `spec.maxAttempts`, `matches[0].apiPath` */
  field: string;
  /** what it became (the row's Istio side) */
  istio: string;
  /** the row's note, then what is particular to this rule */
  note: string;
}

export interface RuleFate extends RuleRef {
  fit: Fit;
  /** objects this rule shaped, for this service */
  shaped: GovernedObjectKind[];
  fields: FieldFate[];
}

export interface GovernanceReport {
  /** the service key */
  service: string;
  /** by kind, name, id */
  rules: RuleFate[];
}

const ORDER: Record<GovernedObjectKind, number> = { VirtualService: 0, DestinationRule: 1, EnvoyFilter: 2 };

function refKey(rule: RuleRef): string {
  return `${rule.kind}\u0000${rule.name}\u0000${rule.id}`;
}

export function ruleLabel(rule: { kind: GovernanceKind; name: string }): string {
  return `${rule.kind}/${rule.name}`;
}

export class ReportBuilder {
  readonly #service: string;
  readonly #rules = new Map<string, { ref: RuleRef; shaped: Set<GovernedObjectKind>; settled: boolean; fields: FieldFate[]; seen: Set<string> }>();

  constructor(service: string) {
    this.#service = service;
  }

  #entry(rule: RuleRef) {
    const key = refKey(rule);
    let entry = this.#rules.get(key);
    if (entry === undefined) {
      entry = { ref: { kind: rule.kind, name: rule.name, id: rule.id }, shaped: new Set(), settled: false, fields: [], seen: new Set() };
      this.#rules.set(key, entry);
    }
    return entry;
  }

  /** Records one field's fate; the same fate twice (a group read for two sides) counts once. */
  note(rule: RuleRef, row: RowId, field: string, detail?: string): void {
    const entry = this.#entry(rule);
    const seenKey = `${row}\u0000${field}\u0000${detail ?? ''}`;
    if (entry.seen.has(seenKey)) return;
    entry.seen.add(seenKey);
    const r = rowOf(row);
    const note = [r.note, detail].filter((s) => s !== undefined && s !== '').join('; ');
    entry.fields.push({ row, fit: r.fit, field, istio: r.istio, note });
  }

  shaped(rule: RuleRef, kind: GovernedObjectKind): void {
    this.#entry(rule).shaped.add(kind);
  }

  /** The rule is fully accounted for by writing nothing (forced closed, injects nothing). */
  settle(rule: RuleRef): void {
    this.#entry(rule).settled = true;
  }

  /** Rule labels (`kind/name`) that shaped an object of this kind, sorted: the annotation on it. */
  shapers(kind: GovernedObjectKind): string[] {
    const out = new Set<string>();
    for (const { ref, shaped } of this.#rules.values()) if (shaped.has(kind)) out.add(ruleLabel(ref));
    return [...out].sort();
  }

  build(): GovernanceReport {
    const rules: RuleFate[] = [];
    for (const { ref, shaped, settled, fields } of this.#rules.values()) {
      const fit: Fit = shaped.size === 0 && !settled ? 'not-mapped' : fields.every((f) => f.fit === 'exact') ? 'exact' : 'approximate';
      rules.push({ ...ref, fit, shaped: [...shaped].sort((a, b) => ORDER[a] - ORDER[b]), fields });
    }
    rules.sort(compareRefs);
    return { service: this.#service, rules };
  }
}

/**
 * The report as text lines, one per rule and one per field under it: what the CLI and
 * the render print. Exact fields are left out unless `all`, so the lines say what differs.
 */
export function reportLines(report: GovernanceReport, options: { all?: boolean } = {}): string[] {
  const lines: string[] = [];
  for (const rule of report.rules) {
    const objects = rule.shaped.length === 0 ? '' : ` → ${rule.shaped.join(', ')}`;
    lines.push(`${ruleLabel(rule)}: ${rule.fit}${objects}`);
    for (const field of rule.fields) {
      if (field.fit === 'exact' && options.all !== true) continue;
      const note = field.note === '' ? '' : `: ${field.note}`;
      lines.push(`  ${field.field} (${field.fit}) ${field.istio}${note}`);
    }
  }
  return lines;
}
