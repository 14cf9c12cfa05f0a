// ServiceComb traffic governance → Istio: what the render, pipeline and CLI import.
export { GOVERNANCE_KINDS, CREATABLE_KINDS, MATCH_GROUP, SIDE_OF, camelKind, isGovernanceKind, type GovernanceKind, type PolicyKind, type Side } from './kinds.ts';
export { parseGovernance, parseRuleList, parseRule, type RuleSet, type RuleRef, type RejectedRule, type GovernanceRule, type MatchGroupRule, type PolicyRule } from './rules.ts';
export { parseGovernanceDuration, toIstioDuration, toProtoDuration } from './duration.ts';
export { MAPPING_TABLE, rowOf, type Fit, type MappingRow, type RowId } from './mapping-table.ts';
export { mapGovernance, DEFAULT_RATE_LIMIT_NAMESPACE, type GovernanceOptions, type GovernanceResult } from './map-rules.ts';
export { governedServiceOf, renderedDestinationRule } from './from-render.ts';
export { withTrafficPolicy, ownerLabels, GOVERNANCE_RULES_ANNOTATION } from './objects.ts';
export { rulesGoverningNothing } from './unused.ts';
export type { GovernedService } from './scope.ts';
export { reportLines, ruleLabel, type GovernanceReport, type RuleFate, type FieldFate, type GovernedObjectKind } from './report.ts';
export type { VirtualService, EnvoyFilter, TrafficPolicy, GovernedDestinationRule } from './istio-types.ts';
export { governService, governRegistry, governanceOptionsOf, type GovernanceInput, type ServiceGovernance, type GovernedRegistry } from './render-governance.ts';
export { summarizeGovernance, summaryLines, type GovernanceSummary, type RuleRow } from './summary.ts';
export { parseRulesFile } from './rules-file.ts';
