// The CEL environment for x-kubernetes-validations rules, and a load-time check that a
// rule only names variables and functions that environment has. @bufbuild/cel resolves
// names at evaluation time, while the API server rejects such a rule when the CRD is
// created; checking here turns a typo or an unsupported Kubernetes library function into
// a loud error at load instead of a rule that fails (or silently passes) on every object.
import { celEnv, isCelError, parse, type CelEnv } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';

export type ParsedExpr = ReturnType<typeof parse>;
type Expr = NonNullable<ParsedExpr['expr']>;

/** Remembered results per pattern: beyond this many distinct texts a pattern's memo starts over. */
const MATCHES_MEMO_LIMIT = 4096;

/**
 * @bufbuild/cel compiles the RE2 pattern of `matches()` on every call (~20 µs, most of a
 * WorkloadEntry's validation). The patterns in CRD rules are constants and the texts
 * (port names, label keys) repeat, so results are memoised per pattern; misses still go
 * through the library's own RE2 engine, keeping its exact semantics.
 */
function memoisedRe2(): NonNullable<Parameters<typeof celEnv>[0]>['re2'] {
  const builtin = celEnv().funcs.find('matches');
  if (builtin === undefined) throw new Error('istio-validator: @bufbuild/cel has no matches()');
  const memo = new Map<string, Map<string, boolean>>();
  return {
    compile(pattern) {
      let results = memo.get(pattern);
      if (results === undefined) {
        results = new Map();
        memo.set(pattern, results);
      }
      const known = results;
      return {
        test(text) {
          const hit = known.get(text);
          if (hit !== undefined) return hit;
          const result = builtin.call(0, text, [pattern]);
          if (isCelError(result)) throw new Error(result.message);
          if (typeof result !== 'boolean') throw new Error(`matches() returned ${String(result)}`);
          if (known.size >= MATCHES_MEMO_LIMIT) known.clear();
          known.set(text, result);
          return result;
        },
      };
    },
  };
}

/**
 * Kubernetes' environment is CEL's standard library plus extensions. Of those, the
 * strings extension (substring, ...) is what the Istio CRDs use; the standard library
 * already has duration(), matches(), startsWith() and the rest. Kubernetes-only libraries
 * (isIP, ip(), url(), quantity(), lists, ...) are not provided: a rule that uses one fails
 * to load, so it is noticed the day Istio adds one.
 */
export function kubernetesCelEnv(): CelEnv {
  return celEnv({ funcs: strings, re2: memoisedRe2() });
}

/** Calls the @bufbuild/cel planner evaluates itself rather than looking up a function. */
const SPECIAL_FORMS = new Set(['_[_]', '_[?_]', '_?._', '_?_:_', '_&&_', '_||_', '@not_strictly_false', '__not_strictly_false__']);

/** Type names usable as values, e.g. `type(self) == string`. */
const TYPE_IDENTIFIERS = new Set(['bool', 'bytes', 'double', 'duration', 'int', 'list', 'map', 'null_type', 'string', 'timestamp', 'type', 'uint']);

function checkExpr(expr: Expr | undefined, env: CelEnv, scope: ReadonlySet<string>): void {
  if (expr === undefined) return;
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'constExpr':
      return;
    case 'identExpr':
      if (!scope.has(kind.value.name) && !TYPE_IDENTIFIERS.has(kind.value.name)) {
        throw new Error(`undeclared reference to '${kind.value.name}'`);
      }
      return;
    case 'selectExpr':
      checkExpr(kind.value.operand, env, scope);
      return;
    case 'callExpr': {
      const call = kind.value;
      if (!SPECIAL_FORMS.has(call.function) && env.funcs.find(call.function) === undefined) {
        throw new Error(`undeclared reference to '${call.function}'`);
      }
      checkExpr(call.target, env, scope);
      for (const arg of call.args) checkExpr(arg, env, scope);
      return;
    }
    case 'listExpr':
      for (const el of kind.value.elements) checkExpr(el, env, scope);
      return;
    case 'structExpr':
      if (kind.value.messageName !== '') throw new Error(`unknown message type '${kind.value.messageName}'`);
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') checkExpr(entry.keyKind.value, env, scope);
        checkExpr(entry.value, env, scope);
      }
      return;
    case 'comprehensionExpr': {
      const c = kind.value;
      checkExpr(c.iterRange, env, scope);
      checkExpr(c.accuInit, env, scope);
      const loopVars = [c.iterVar, c.iterVar2, c.accuVar].filter((v) => v !== '');
      const inLoop = new Set([...scope, ...loopVars]);
      checkExpr(c.loopCondition, env, inLoop);
      checkExpr(c.loopStep, env, inLoop);
      checkExpr(c.result, env, new Set([...scope, c.accuVar]));
      return;
    }
    default:
      throw new Error('empty expression');
  }
}

/** Parses a rule and checks its names; throws with the reason when the API server would refuse it. */
export function compileExpression(source: string, env: CelEnv, variables: readonly string[]): ParsedExpr {
  const parsed = parse(source);
  checkExpr(parsed.expr, env, new Set(variables));
  return parsed;
}

/** True when the expression reads `name` (a variable, not a field of that name). */
export function referencesVariable(parsed: ParsedExpr, name: string): boolean {
  const visit = (expr: Expr | undefined): boolean => {
    if (expr === undefined) return false;
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'identExpr':
        return kind.value.name === name;
      case 'selectExpr':
        return visit(kind.value.operand);
      case 'callExpr':
        return visit(kind.value.target) || kind.value.args.some(visit);
      case 'listExpr':
        return kind.value.elements.some(visit);
      case 'structExpr':
        return kind.value.entries.some((e) => (e.keyKind.case === 'mapKey' && visit(e.keyKind.value)) || visit(e.value));
      case 'comprehensionExpr': {
        const c = kind.value;
        return [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].some(visit);
      }
      default:
        return false;
    }
  };
  return visit(parsed.expr);
}
