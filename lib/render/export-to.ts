// Who may see a service's objects. Every proxy that can see a ServiceEntry pays for its
// clusters and endpoints, so visibility is chosen per ServiceComb app: render.exportToByApp
// names the namespaces of an app's consumers, render.exportTo stays the default. The rules
// are Istio's own (validateExportTo, pkg/config/validation/validation.go), so a value an
// API server's webhook would refuse is refused here, at start, naming the key.
import { isDnsLabel } from '../names/sanitize.ts';
import type { ServiceKeyParts } from '../names/service-names.ts';

/** `.` the objects' own namespace, `*` every namespace, `~` no namespace (ServiceEntry only). */
export const EXPORT_TO_ALIASES = ['.', '*', '~'] as const;

/**
 * service-center's rule for appId and environment names (letters, digits, `_`, `-`, `.`,
 * starting and ending with a letter or digit): no `/`, so `environment/app` is unambiguous.
 */
const SC_NAME_RE = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,158}[A-Za-z0-9])?$/;

export interface ExportToProblem {
  /** index in the list, or undefined for the list as a whole */
  index: number | undefined;
  message: string;
}

/**
 * Istio's rules for one exportTo list. `namespace` is the objects' own namespace, which
 * `.` stands for (Istio counts `.` plus that namespace as a duplicate); undefined when it
 * is not known yet (one configuration layer of several), which skips that one check.
 */
export function exportToProblems(list: readonly string[], namespace: string | undefined): ExportToProblem[] {
  const problems: ExportToProblem[] = [];
  const seen = new Map<string, number>();
  list.forEach((value, index) => {
    if (!(EXPORT_TO_ALIASES as readonly string[]).includes(value) && !isDnsLabel(value)) {
      problems.push({ index, message: 'must be ".", "*", "~" or a namespace name (a DNS-1123 label: lower-case letters, digits, "-", at most 63)' });
      return;
    }
    if ((value === '*' || value === '~') && list.length > 1) {
      problems.push({ index, message: value === '*' ? '"*" (every namespace) cannot be combined with other values' : '"~" (no namespace) cannot be combined with other values' });
      return;
    }
    const normalised = value === '.' && namespace !== undefined ? namespace : value;
    const first = seen.get(normalised);
    if (first !== undefined) {
      const alias = value !== list[first] && namespace !== undefined ? ` ("." is the objects' own namespace, ${JSON.stringify(namespace)})` : '';
      problems.push({ index, message: `repeats entry ${first}${alias}` });
      return;
    }
    seen.set(normalised, index);
  });
  return problems;
}

export interface AppSelector {
  /** undefined: the app in every environment */
  environment: string | undefined;
  appId: string;
}

/** `app` or `environment/app` → its parts, or the reason it is not a valid key. */
export function parseAppSelector(key: string): AppSelector | string {
  const parts = key.split('/');
  if (parts.length > 2) return 'must be "app" or "environment/app" (one "/" at most)';
  const [first, second] = parts as [string, string | undefined];
  const appId = second ?? first;
  const environment = second === undefined ? undefined : first;
  if (environment !== undefined && !SC_NAME_RE.test(environment)) {
    return environment === '' ? 'has an empty environment; use "app" to match the app in every environment, including none' : 'environment must be a service-center name (letters, digits, "_", "-", ".")';
  }
  if (!SC_NAME_RE.test(appId)) return 'app must be a service-center appId (letters, digits, "_", "-", ".")';
  return { environment, appId };
}

export interface ExportToSettings {
  exportTo: readonly string[] | undefined;
  exportToByApp: Readonly<Record<string, readonly string[]>>;
}

/**
 * The ServiceEntry's exportTo for one service: `environment/app`, else `app`, else the
 * global default; undefined means unset (Istio: every namespace, or the mesh default).
 */
export function exportToFor(settings: ExportToSettings, parts: ServiceKeyParts): readonly string[] | undefined {
  const byApp = settings.exportToByApp;
  if (parts.environment !== '') {
    const exact = byApp[`${parts.environment}/${parts.appId}`];
    if (exact !== undefined) return exact;
  }
  return byApp[parts.appId] ?? settings.exportTo;
}

/**
 * exportTo for the DestinationRules and VirtualServices of a service, from its
 * ServiceEntry's. Istio accepts `~` only on a ServiceEntry; a rule for a host nobody can
 * see changes nothing, so it gets the narrowest value it may carry, its own namespace.
 */
export function routingExportTo(serviceEntryExportTo: readonly string[] | undefined): readonly string[] | undefined {
  if (serviceEntryExportTo === undefined) return undefined;
  return serviceEntryExportTo.length === 1 && serviceEntryExportTo[0] === '~' ? ['.'] : serviceEntryExportTo;
}
