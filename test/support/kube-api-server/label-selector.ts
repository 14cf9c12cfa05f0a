// Kubernetes label selectors (k8s.io/apimachinery/pkg/labels), as the API server parses
// them from `labelSelector`: `=`, `==`, `!=`, `in`, `notin`, `key`, `!key`, `>`, `<`.
// `!=` and `notin` also match objects that lack the key, as on a real server.

export type Requirement =
  | { key: string; op: 'exists' | 'notexists' }
  // A set, as apimachinery holds the values: a list by 100 service names checks each object in one lookup.
  | { key: string; op: 'in' | 'notin'; values: ReadonlySet<string> }
  | { key: string; op: 'gt' | 'lt'; value: number };

export class SelectorParseError extends Error {
  override readonly name = 'SelectorParseError';
}

/** Splits on commas that are not inside `( … )`. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, text: string): string {
  if (!KEY.test(key)) throw new SelectorParseError(`unable to parse requirement: invalid label key "${key}" in "${text}"`);
  return key;
}

function checkValue(value: string, text: string): string {
  if (value.length > 63 || !VALUE.test(value)) {
    throw new SelectorParseError(`unable to parse requirement: invalid label value: "${value}" in "${text}"`);
  }
  return value;
}

function parseRequirement(text: string): Requirement {
  const set = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (set !== null) {
    const [, key = '', op = 'in', list = ''] = set;
    if (list.trim() === '') throw new SelectorParseError(`unable to parse requirement: for 'in', 'notin' operators, values set can't be empty`);
    const values = new Set(list.split(',').map((v) => checkValue(v.trim(), text)));
    return { key: checkKey(key, text), op: op === 'in' ? 'in' : 'notin', values };
  }
  const cmp = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(text);
  if (cmp !== null) {
    const [, key = '', op = '=', value = ''] = cmp;
    if (op === '>' || op === '<') {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new SelectorParseError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
      return { key: checkKey(key, text), op: op === '>' ? 'gt' : 'lt', value: n };
    }
    return { key: checkKey(key, text), op: op === '!=' ? 'notin' : 'in', values: new Set([checkValue(value.trim(), text)]) };
  }
  if (text.startsWith('!')) return { key: checkKey(text.slice(1).trim(), text), op: 'notexists' };
  return { key: checkKey(text, text), op: 'exists' };
}

export function parseLabelSelector(selector: string): Requirement[] {
  return splitRequirements(selector).map(parseRequirement);
}

function matchesOne(req: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'in':
      return has && req.values.has(value as string);
    case 'notin':
      return !has || !req.values.has(value as string);
    case 'gt':
    case 'lt': {
      if (!has) return false;
      const n = Number(value);
      if (!Number.isInteger(n)) return false;
      return req.op === 'gt' ? n > req.value : n < req.value;
    }
  }
}

export function matchesSelector(requirements: readonly Requirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return requirements.every((r) => matchesOne(r, l));
}

/** Field selectors on the two fields every resource supports: metadata.name and metadata.namespace. */
export interface FieldRequirement {
  field: 'metadata.name' | 'metadata.namespace';
  equals: boolean;
  value: string;
}

export function parseFieldSelector(selector: string): FieldRequirement[] {
  return splitRequirements(selector).map((text) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(text);
    if (m === null) throw new SelectorParseError(`invalid selector: '${text}'; can't understand '${text}'`);
    const [, field = '', op = '=', value = ''] = m;
    if (field !== 'metadata.name' && field !== 'metadata.namespace') {
      throw new SelectorParseError(`field label not supported: ${field}`);
    }
    return { field, equals: op !== '!=', value: value.trim() };
  });
}

export function matchesFields(requirements: readonly FieldRequirement[], meta: { name: string; namespace: string }): boolean {
  return requirements.every((r) => {
    const actual = r.field === 'metadata.name' ? meta.name : meta.namespace;
    return (actual === r.value) === r.equals;
  });
}
