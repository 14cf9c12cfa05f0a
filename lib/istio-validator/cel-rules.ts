// Layer 3: x-kubernetes-validations rules, evaluated as apiextensions' cel.Validator does:
// each rule at its schema node with `self` bound to the value there (for every list item
// and map value when the rule sits on items / additionalProperties), transition rules
// (oldSelf) only where an old value correlates, and the API server's messages.
import { isCelError, plan, type CelEnv, type CelInput, type CelResult } from '@bufbuild/cel';
import { compileExpression, kubernetesCelEnv, referencesVariable } from './cel-library.ts';
import type { ValidationRule } from './json-schema-props.ts';
import { isJsonObject, type SchemaNode } from './structural-schema.ts';
import { fieldError, fieldPath, type ValidationCause } from './validation-cause.ts';

type Program = (bindings: Record<string, CelInput>) => CelResult;

interface CompiledRule {
  readonly source: ValidationRule;
  readonly program: Program;
  readonly messageProgram: Program | undefined;
  readonly usesOldSelf: boolean;
}

/** The schema skeleton, kept only where rules sit at or below a node. */
interface RuleNode {
  /** The full schema here, to convert a subtree to CEL values with. */
  readonly schema: SchemaNode;
  readonly rules: readonly CompiledRule[];
  readonly properties: ReadonlyMap<string, RuleNode> | undefined;
  readonly additionalProperties: RuleNode | undefined;
  readonly items: RuleNode | undefined;
  readonly listMapKeys: readonly string[] | undefined;
}

/** A CEL value mirror of a JSON value: integers typed by the schema, objects as Maps. */
type CelJson = bigint | number | string | boolean | null | CelJson[] | Map<string, CelJson>;

const VARIABLES = ['self', 'oldSelf'];

/** Compiles each distinct expression once (DestinationRule repeats one rule 132 times). */
class ProgramCache {
  readonly env: CelEnv = kubernetesCelEnv();
  private readonly programs = new Map<string, { program: Program; usesOldSelf: boolean }>();

  get(expression: string, location: string): { program: Program; usesOldSelf: boolean } {
    const cached = this.programs.get(expression);
    if (cached !== undefined) return cached;
    let entry: { program: Program; usesOldSelf: boolean };
    try {
      const parsed = compileExpression(expression, this.env, VARIABLES);
      entry = { program: plan(this.env, parsed) as Program, usesOldSelf: referencesVariable(parsed, 'oldSelf') };
    } catch (err) {
      throw new Error(
        `istio-validator: x-kubernetes-validations rule at ${location} does not compile: ${JSON.stringify(expression)}: ${(err as Error).message}`,
      );
    }
    this.programs.set(expression, entry);
    return entry;
  }

  get size(): number {
    return this.programs.size;
  }
}

function compileNode(schema: SchemaNode, cache: ProgramCache): RuleNode | undefined {
  const rules = schema.rules.map((rule): CompiledRule => {
    const { program, usesOldSelf } = cache.get(rule.rule, schema.location);
    const messageProgram = rule.messageExpression === undefined ? undefined : cache.get(rule.messageExpression, schema.location).program;
    return { source: rule, program, messageProgram, usesOldSelf };
  });
  let properties: Map<string, RuleNode> | undefined;
  for (const [name, child] of schema.properties ?? []) {
    const compiled = compileNode(child, cache);
    if (compiled === undefined) continue;
    properties ??= new Map();
    properties.set(name, compiled);
  }
  const additionalProperties = schema.additionalProperties && compileNode(schema.additionalProperties, cache);
  const items = schema.items && compileNode(schema.items, cache);
  if (rules.length === 0 && properties === undefined && additionalProperties === undefined && items === undefined) return undefined;
  return {
    schema,
    rules,
    properties,
    additionalProperties,
    items,
    listMapKeys: schema.listType === 'map' ? schema.listMapKeys : undefined,
  };
}

/** Converts with the full schema so every integer field becomes a CEL int, whatever rule reads it. */
function toCelJson(value: unknown, schema: SchemaNode | undefined): CelJson {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => toCelJson(v, schema?.items));
  if (isJsonObject(value)) {
    const out = new Map<string, CelJson>();
    for (const [k, v] of Object.entries(value)) out.set(k, toCelJson(v, schema?.properties?.get(k) ?? schema?.additionalProperties));
    return out;
  }
  if (typeof value === 'number') {
    // Untyped (preserved) numbers decode as int64 when integral, as in Go's JSON decoding.
    const intTyped = schema === undefined || schema.type === 'integer' || schema.intOrString || schema.type === '';
    return intTyped && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  return null;
}

function ruleErrorString(rule: ValidationRule): string {
  return (rule.message ?? '').trim() || rule.rule.trim();
}

function failureMessage(rule: CompiledRule, bindings: Record<string, CelInput>): string {
  if (rule.messageProgram !== undefined) {
    const result = rule.messageProgram(bindings);
    if (typeof result === 'string' && result.trim() !== '' && !result.includes('\n')) return result;
  }
  const message = rule.source.message?.trim();
  return message !== undefined && message !== '' ? message : `failed rule: ${rule.source.rule.trim()}`;
}

function failureCause(rule: CompiledRule, path: string, type: string, detail: string): ValidationCause {
  const at = rule.source.fieldPath === undefined ? path : fieldPath.child(path, rule.source.fieldPath.replace(/^\./, ''));
  switch (rule.source.reason) {
    case 'FieldValueForbidden':
      return fieldError.forbidden(at, detail);
    case 'FieldValueRequired':
      return fieldError.required(at, detail);
    case 'FieldValueDuplicate':
      return fieldError.duplicate(at, type);
    default:
      return fieldError.invalid(at, type, detail);
  }
}

function evaluateRules(node: RuleNode, self: CelJson, old: CelJson | undefined, path: string, causes: ValidationCause[]): void {
  for (const rule of node.rules) {
    if (rule.usesOldSelf && old === undefined) continue;
    const bindings: Record<string, CelInput> = old === undefined ? { self } : { self, oldSelf: old };
    const result = rule.program(bindings);
    if (result === true) continue;
    if (isCelError(result)) {
      const detail = result.message.startsWith('no such overload')
        ? `'${result.message}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleErrorString(rule.source)}`
        : `${result.message} evaluating rule: ${ruleErrorString(rule.source)}`;
      causes.push(fieldError.invalid(path, node.schema.type, detail));
    } else if (result === false) {
      causes.push(failureCause(rule, path, node.schema.type, failureMessage(rule, bindings)));
    } else {
      causes.push(fieldError.invalid(path, node.schema.type, `rule did not evaluate to a bool: ${ruleErrorString(rule.source)}`));
    }
  }
}

/** The old list item with the same list-map keys, if any (how transition rules correlate list items). */
function correlatedItem(item: CelJson, oldList: CelJson | undefined, keys: readonly string[]): CelJson | undefined {
  if (!Array.isArray(oldList) || !(item instanceof Map)) return undefined;
  return oldList.find((o) => o instanceof Map && keys.every((k) => o.get(k) === item.get(k)));
}

/** Walks CEL values below a node whose rules made the subtree convert. */
function walk(node: RuleNode, value: CelJson, old: CelJson | undefined, path: string, causes: ValidationCause[]): void {
  // A null was left for type validation to reject; CEL rules do not run on it.
  if (value === null) return;
  evaluateRules(node, value, old, path, causes);
  if (Array.isArray(value)) {
    const items = node.items;
    if (items === undefined) return;
    const keys = node.listMapKeys;
    value.forEach((item, i) => {
      const oldItem = keys === undefined ? undefined : correlatedItem(item, old, keys);
      walk(items, item, oldItem, fieldPath.index(path, i), causes);
    });
    return;
  }
  if (!(value instanceof Map)) return;
  const oldMap = old instanceof Map ? old : undefined;
  for (const [name, child] of node.properties ?? []) {
    const v = value.get(name);
    if (v !== undefined) walk(child, v, oldMap?.get(name), fieldPath.child(path, name), causes);
  }
  const additional = node.additionalProperties;
  if (additional !== undefined) {
    for (const [key, v] of value) walk(additional, v, oldMap?.get(key), fieldPath.key(path, key), causes);
  }
}

/** The raw old list item with the same list-map keys, if any. */
function correlatedRawItem(item: unknown, oldList: unknown, keys: readonly string[]): unknown {
  if (!Array.isArray(oldList) || !isJsonObject(item)) return undefined;
  return oldList.find((o) => isJsonObject(o) && keys.every((k) => o[k] === item[k]));
}

/**
 * Walks plain JSON down to the nodes that carry rules and converts only those subtrees
 * to CEL values, once each: a DestinationRule's rules sit on a few leaf strings, and
 * metadata and status have none.
 */
function walkRaw(node: RuleNode, value: unknown, old: unknown, path: string, causes: ValidationCause[]): void {
  if (value === null || value === undefined) return;
  if (node.rules.length > 0) {
    walk(node, toCelJson(value, node.schema), old === undefined ? undefined : toCelJson(old, node.schema), path, causes);
    return;
  }
  if (Array.isArray(value)) {
    const items = node.items;
    if (items === undefined) return;
    const keys = node.listMapKeys;
    value.forEach((item, i) => {
      const oldItem = keys === undefined ? undefined : correlatedRawItem(item, old, keys);
      walkRaw(items, item, oldItem, fieldPath.index(path, i), causes);
    });
    return;
  }
  if (!isJsonObject(value)) return;
  const oldObject = isJsonObject(old) ? old : undefined;
  for (const [name, child] of node.properties ?? []) {
    walkRaw(child, value[name], oldObject?.[name], fieldPath.child(path, name), causes);
  }
  const additional = node.additionalProperties;
  if (additional !== undefined) {
    for (const [key, v] of Object.entries(value)) walkRaw(additional, v, oldObject?.[key], fieldPath.key(path, key), causes);
  }
}

export interface CelRuleSet {
  /** Distinct expressions compiled for this kind. */
  readonly expressionCount: number;
  readonly usesOldSelf: boolean;
  /** Causes for every rule that fails on a pruned object (and its pruned old version, for updates). */
  evaluate(pruned: Record<string, unknown>, oldPruned?: Record<string, unknown>): ValidationCause[];
}

/** Compiles every rule of a kind's schema; throws when one does not compile. Undefined when there are none. */
export function compileCelRules(root: SchemaNode): CelRuleSet | undefined {
  const cache = new ProgramCache();
  const tree = compileNode(root, cache);
  if (tree === undefined) return undefined;
  const usesOldSelf = anyUsesOldSelf(tree);
  return {
    expressionCount: cache.size,
    usesOldSelf,
    evaluate(pruned, oldPruned) {
      const causes: ValidationCause[] = [];
      walkRaw(tree, pruned, usesOldSelf ? oldPruned : undefined, '', causes);
      return causes;
    },
  };
}

function anyUsesOldSelf(node: RuleNode): boolean {
  if (node.rules.some((r) => r.usesOldSelf)) return true;
  for (const child of node.properties?.values() ?? []) if (anyUsesOldSelf(child)) return true;
  return (node.additionalProperties !== undefined && anyUsesOldSelf(node.additionalProperties)) || (node.items !== undefined && anyUsesOldSelf(node.items));
}
