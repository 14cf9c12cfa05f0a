// Layer 1: the checks the API server makes before the CRD schema is consulted: TypeMeta
// (customResourceValidator.ValidateTypeMeta) and ObjectMeta (apimachinery
// ValidateObjectMeta with NameIsDNSSubdomain), with apimachinery's messages.
import type { IstioKind } from '../model/istio.ts';
import { apiVersionOf, ISTIO_API_VERSION, isIstioKind } from '../model/istio.ts';
import { fieldError, type ValidationCause } from './validation-cause.ts';

/** Sorted, as the API server lists supported values. */
export const ISTIO_KINDS: readonly IstioKind[] = ['DestinationRule', 'EnvoyFilter', 'ServiceEntry', 'Sidecar', 'VirtualService', 'WorkloadEntry'];

const DNS1123_LABEL_MAX = 63;
const DNS1123_SUBDOMAIN_MAX = 253;
const QUALIFIED_NAME_MAX = 63;
const LABEL_VALUE_MAX = 63;
/** apimachinery TotalAnnotationSizeLimitB. */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;

const dns1123Label = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const dns1123Subdomain = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const qualifiedName = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const labelValue = new RegExp(`^${LABEL_VALUE_FMT}$`);

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join('or ')}regex used for validation is '${fmt}')`;
}
const maxLenError = (n: number) => `must be no more than ${n} characters`;

const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** validation.IsDNS1123Subdomain: a list of problems, empty when valid. */
export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!dns1123Subdomain.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

/** validation.IsDNS1123Label. */
export function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX) errs.push(maxLenError(DNS1123_LABEL_MAX));
  if (!dns1123Label.test(value)) errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  return errs;
}

/** validation.IsQualifiedName: optional DNS-subdomain prefix, '/', name part. */
export function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > QUALIFIED_NAME_MAX) errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX)}`);
  if (!qualifiedName.test(name)) errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** validation.IsValidLabelValue. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LABEL_VALUE_MAX) errs.push(maxLenError(LABEL_VALUE_MAX));
  if (!labelValue.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export type TypeMetaResult = { ok: true; kind: IstioKind } | { ok: false; causes: ValidationCause[] };

/** The server answers a wrong apiVersion/kind with those errors alone, so callers stop here on failure. */
export function checkTypeMeta(obj: unknown): TypeMetaResult {
  if (!isRecord(obj)) return { ok: false, causes: [fieldError.invalid('', obj, 'must be a JSON object')] };
  const causes: ValidationCause[] = [];
  const { apiVersion, kind } = obj;
  if (typeof kind !== 'string' || !(ISTIO_KINDS as readonly string[]).includes(kind)) {
    causes.push(fieldError.notSupported('kind', kind ?? '', ISTIO_KINDS));
  }
  // Each kind at the one version sc2mesh writes it (EnvoyFilter: v1alpha3); a kind it
  // does not know is held to v1, the version of most.
  const expected = isIstioKind(kind) ? apiVersionOf(kind) : ISTIO_API_VERSION;
  if (apiVersion !== expected) {
    causes.push(fieldError.invalid('apiVersion', apiVersion ?? '', `must be ${expected}`));
  }
  if (causes.length > 0) return { ok: false, causes };
  return { ok: true, kind: kind as IstioKind };
}

export interface MetadataCheck {
  causes: ValidationCause[];
  /** Paths of ObjectMeta fields a server would drop (they are not in ObjectMeta). */
  unknownFields: string[];
}

function stringMap(meta: Record<string, unknown>, name: string, causes: ValidationCause[]): Record<string, string> {
  const value = meta[name];
  if (value === undefined || value === null) return {};
  const path = `metadata.${name}`;
  if (!isRecord(value)) {
    causes.push(fieldError.typeInvalid(path, value, `${path} must be a map of string to string`));
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else causes.push(fieldError.typeInvalid(`${path}.${k}`, v, `${path}.${k} must be of type string`));
  }
  return out;
}

function optionalString(meta: Record<string, unknown>, name: string, causes: ValidationCause[]): string {
  const value = meta[name];
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  causes.push(fieldError.typeInvalid(`metadata.${name}`, value, `metadata.${name} must be of type string`));
  return '';
}

/** ObjectMeta coercion and validation, as for any namespaced custom resource. */
export function checkObjectMeta(obj: Record<string, unknown>): MetadataCheck {
  const causes: ValidationCause[] = [];
  const unknownFields: string[] = [];
  const raw = obj.metadata ?? {};
  if (!isRecord(raw)) {
    causes.push(fieldError.typeInvalid('metadata', raw, 'metadata must be of type object'));
    return { causes, unknownFields };
  }
  for (const key of Object.keys(raw)) if (!OBJECT_META_FIELDS.has(key)) unknownFields.push(`metadata.${key}`);

  const name = optionalString(raw, 'name', causes);
  const generateName = optionalString(raw, 'generateName', causes);
  const namespace = optionalString(raw, 'namespace', causes);
  const labels = stringMap(raw, 'labels', causes);
  const annotations = stringMap(raw, 'annotations', causes);

  if (generateName !== '') {
    // A prefix may end in '-': the server appends random characters to it.
    const masked = generateName.endsWith('-') ? `${generateName.slice(0, -1)}a` : generateName;
    for (const msg of dns1123SubdomainErrors(masked)) causes.push(fieldError.invalid('metadata.generateName', generateName, msg));
  }
  if (name === '') {
    if (generateName === '') causes.push(fieldError.required('metadata.name', 'name or generateName is required'));
  } else {
    for (const msg of dns1123SubdomainErrors(name)) causes.push(fieldError.invalid('metadata.name', name, msg));
  }
  // The namespace normally comes from the request URL; a manifest may leave it out.
  if (namespace !== '') {
    for (const msg of dns1123LabelErrors(namespace)) causes.push(fieldError.invalid('metadata.namespace', namespace, msg));
  }
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of qualifiedNameErrors(k)) causes.push(fieldError.invalid('metadata.labels', k, msg));
    for (const msg of labelValueErrors(v)) causes.push(fieldError.invalid('metadata.labels', v, msg));
  }
  let annotationBytes = 0;
  for (const [k, v] of Object.entries(annotations)) {
    // Annotation keys are qualified names in any letter case.
    for (const msg of qualifiedNameErrors(k.toLowerCase())) causes.push(fieldError.invalid('metadata.annotations', k, msg));
    annotationBytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (annotationBytes > ANNOTATIONS_MAX_BYTES) causes.push(fieldError.tooLongBytes('metadata.annotations', ANNOTATIONS_MAX_BYTES));

  const finalizers = raw.finalizers;
  if (Array.isArray(finalizers)) {
    finalizers.forEach((f, i) => {
      if (typeof f !== 'string') {
        causes.push(fieldError.typeInvalid(`metadata.finalizers[${i}]`, f, `metadata.finalizers[${i}] must be of type string`));
        return;
      }
      for (const msg of qualifiedNameErrors(f)) causes.push(fieldError.invalid('metadata.finalizers', f, msg));
    });
  } else if (finalizers !== undefined && finalizers !== null) {
    causes.push(fieldError.typeInvalid('metadata.finalizers', finalizers, 'metadata.finalizers must be of type array'));
  }
  return { causes, unknownFields };
}
