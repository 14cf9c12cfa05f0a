// Rules and a provider for the governance tests: raw list entries as service-center
// sends them, parsed through the real boundary, and one published service.
import { DEFAULT_RENDER_OPTIONS } from '../../lib/render/options.ts';
import { hostFor, objectNameFor, serviceKeyOf } from '../../lib/names/service-names.ts';
import type { GovernanceKind } from '../../lib/governance/kinds.ts';
import { mapGovernance, type GovernanceOptions, type GovernanceResult } from '../../lib/governance/map-rules.ts';
import type { HTTPRoute } from '../../lib/governance/istio-types.ts';
import type { RowId } from '../../lib/governance/mapping-table.ts';
import type { FieldFate, RuleFate } from '../../lib/governance/report.ts';
import { parseGovernance, type RuleSet } from '../../lib/governance/rules.ts';
import type { GovernedService } from '../../lib/governance/scope.ts';

export interface RawRule {
  name: string;
  id: string;
  status: string;
  creatTime: number;
  updateTime: number;
  selector: Record<string, string>;
  kind: GovernanceKind;
  spec: Record<string, unknown>;
}

export const SELECTOR = { app: 'shop', environment: 'production' };

export function rule(kind: GovernanceKind, name: string, spec: Record<string, unknown>, more: Partial<RawRule> = {}): RawRule {
  return { name, id: `${kind}-${name}`, status: 'enabled', creatTime: 1_700_000_000, updateTime: 1_700_000_000, selector: SELECTOR, kind, spec, ...more };
}

export function group(name: string, matches: unknown[], more: Partial<RawRule> & { services?: string } = {}): RawRule {
  const { services, ...rest } = more;
  return rule('match-group', name, services === undefined ? { alias: name, matches } : { alias: name, matches, services }, rest);
}

/** A match entry that takes every request. */
export const EVERY = [{ name: 'every' }];

export function ruleSet(raws: readonly RawRule[]): RuleSet {
  const lists: Partial<Record<GovernanceKind, RawRule[]>> = {};
  for (const raw of raws) (lists[raw.kind] ??= []).push(raw);
  const set = parseGovernance(lists);
  if (set.rejected.length > 0) throw new Error(`test rules rejected: ${set.rejected.map((r) => r.message).join('; ')}`);
  return set;
}

const parts = { environment: 'production', appId: 'shop', serviceName: 'orders' };

export const ORDERS: GovernedService = {
  key: serviceKeyOf(parts),
  name: objectNameFor(DEFAULT_RENDER_OPTIONS.nameTemplate, parts),
  host: hostFor(DEFAULT_RENDER_OPTIONS.hostTemplate, parts),
  appId: 'shop',
  environment: 'production',
  serviceName: 'orders',
  versions: ['1.0.0', '2.0.0'],
  ports: [
    { number: 7070, protocol: 'TCP' },
    { number: 8080, protocol: 'HTTP' },
  ],
  exportTo: undefined,
};

export const OPTIONS: GovernanceOptions = { namespace: 'mesh', source: 'default', extraLabels: {}, rateLimiting: { enabled: false } };
export const RATE_LIMITS_ON: Partial<GovernanceOptions> = { rateLimiting: { enabled: true, namespace: 'istio-system' } };

export function map(raws: readonly RawRule[], options: Partial<GovernanceOptions> = {}, service: Partial<GovernedService> = {}): GovernanceResult {
  return mapGovernance({ ...ORDERS, ...service }, ruleSet(raws), { ...OPTIONS, ...options });
}

export function fateOf(result: GovernanceResult, kind: GovernanceKind, name: string): RuleFate {
  const fate = result.report.rules.find((r) => r.kind === kind && r.name === name);
  if (fate === undefined) throw new Error(`no report entry for ${kind}/${name}; have ${result.report.rules.map((r) => `${r.kind}/${r.name}`).join(', ')}`);
  return fate;
}

export function fieldOf(result: GovernanceResult, kind: GovernanceKind, name: string, row: RowId): FieldFate {
  const fate = fateOf(result, kind, name);
  const field = fate.fields.find((f) => f.row === row);
  if (field === undefined) throw new Error(`${kind}/${name} has no ${row}; has ${fate.fields.map((f) => f.row).join(', ')}`);
  return field;
}

export function routes(result: GovernanceResult): HTTPRoute[] {
  if (result.virtualService === undefined) throw new Error('no VirtualService');
  return result.virtualService.spec.http;
}

export function routeNamed(result: GovernanceResult, name: string): HTTPRoute {
  const found = routes(result).find((r) => r.name === name);
  if (found === undefined) throw new Error(`no route ${name}; have ${routes(result).map((r) => r.name).join(', ')}`);
  return found;
}
