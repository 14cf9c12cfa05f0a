// Greedy packing of a list into consecutive runs under a budget: SQS batches (entries and
// bytes), label-selector lists (characters). Order is kept, and an item bigger than the
// budget still goes out, alone, rather than being dropped.

export interface PackLimits<T> {
  /** what one item costs of the budget */
  cost: (item: T) => number;
  maxCost: number;
  /** at most this many items a run; unlimited if absent */
  maxItems?: number;
}

export function packRuns<T>(items: readonly T[], limits: PackLimits<T>): T[][] {
  const runs: T[][] = [];
  let current: T[] = [];
  let total = 0;
  const maxItems = limits.maxItems ?? Number.POSITIVE_INFINITY;
  for (const item of items) {
    const cost = limits.cost(item);
    if (current.length > 0 && (current.length >= maxItems || total + cost > limits.maxCost)) {
      runs.push(current);
      current = [];
      total = 0;
    }
    current.push(item);
    total += cost;
  }
  if (current.length > 0) runs.push(current);
  return runs;
}
