// One ordering for everything governance sorts, independent of the locale, so objects and
// reports come out the same on every machine.
import type { RuleRef } from './rules.ts';

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** By kind, then name, then id. */
export function compareRefs(a: RuleRef, b: RuleRef): number {
  return compareText(a.kind, b.kind) || compareText(a.name, b.name) || compareText(a.id, b.id);
}
