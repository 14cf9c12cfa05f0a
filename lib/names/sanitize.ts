// Kubernetes names, label values and DNS labels from free-form registry strings.
// Rule: a string that is already valid maps to itself; any change (replaced characters,
// accents stripped, truncation, and for object names also lower-casing) appends a hash
// of the original, so two registry names that sanitise alike still get distinct
// results, and the result depends on that one string alone (never on what else is
// listed, so it is stable across runs and listing orders). DNS hosts may fold case
// without a hash because DNS itself ignores case.
import { nameSuffixHash } from './hash.ts';

export const DNS_LABEL_MAX = 63;
export const DNS_SUBDOMAIN_MAX = 253;

const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isDnsLabel(s: string): boolean {
  return s.length > 0 && s.length <= DNS_LABEL_MAX && DNS_LABEL_RE.test(s);
}

export function isLabelValue(s: string): boolean {
  return s.length <= DNS_LABEL_MAX && LABEL_VALUE_RE.test(s);
}

function stripAccents(s: string): string {
  // NFKD splits "é" into "e" + a combining mark; the marks are then dropped.
  return s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
}

function collapse(s: string, allowed: RegExp, edge: RegExp): string {
  return s.replace(allowed, '-').replace(/-{2,}/g, '-').replace(edge, '');
}

// Already readable: ASCII (so NFKD changes nothing), no character to replace, no `-` run or edge to trim.
const READABLE_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Lower-case, accents stripped, runs of other characters as one `-`; may be empty. */
export function toReadable(original: string): string {
  const lower = original.toLowerCase();
  // Most names are readable once lower-cased; the full pass would return them unchanged.
  if (READABLE_RE.test(lower)) return lower;
  return collapse(stripAccents(lower), /[^a-z0-9-]+/g, /^-+|-+$/g);
}

function withSuffix(base: string, original: string, max: number, fallback: string): string {
  const suffix = nameSuffixHash(original);
  let head = base.slice(0, max - suffix.length - 1).replace(/[-._]+$/, '');
  if (head === '') head = fallback;
  return `${head}-${suffix}`;
}

export interface DnsLabelOptions {
  /** treat lower-casing as lossless (DNS hosts); object names keep it lossy */
  foldCase?: boolean;
  /** stands in when nothing usable is left (e.g. a name of only symbols) */
  fallback?: string;
  max?: number;
}

/** A DNS-1123 label (≤63, [a-z0-9-], alphanumeric at both ends). */
export function toDnsLabel(original: string, options: DnsLabelOptions = {}): string {
  const { foldCase = false, fallback = 'x', max = DNS_LABEL_MAX } = options;
  const lower = original.toLowerCase();
  if (lower.length <= max && DNS_LABEL_RE.test(lower) && (foldCase || lower === original)) return lower;
  return withSuffix(toReadable(original), original, max, fallback);
}

/** A label value (≤63, [A-Za-z0-9._-], alphanumeric at both ends); case is kept. */
export function toLabelValue(original: string, fallback = 'x'): string {
  if (isLabelValue(original)) return original;
  const cleaned = stripAccents(original)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '');
  return withSuffix(cleaned, original, DNS_LABEL_MAX, fallback);
}
