// The registry's one-call dump (`GET /v4/{project}/govern/microservices?options=instances`).
// Each entry is validated on its own: one malformed service is reported and skipped,
// every other service still goes through.
import { z } from 'zod';
import { ServiceDetailSchema, type ServiceDetail } from './registry.ts';
import { isServiceDetail } from './registry-guards.ts';
import { toValidationError, ValidationError, describeValue } from './validation.ts';

export interface RejectedEntry {
  /** index in allServicesDetail */
  index: number;
  /** `appId/serviceName@version` when it could be read, else `#index` */
  service: string;
  reason: string;
}

export interface GovernDump {
  services: ServiceDetail[];
  rejected: RejectedEntry[];
}

const DumpShape = z.looseObject({ allServicesDetail: z.array(z.unknown()).optional() });

function labelOf(raw: unknown, index: number): string {
  if (raw !== null && typeof raw === 'object') {
    const ms = (raw as { microService?: unknown }).microService;
    if (ms !== null && typeof ms === 'object') {
      const { appId, serviceName, version } = ms as Record<string, unknown>;
      if (serviceName !== undefined) {
        const text = (v: unknown, fallback: string): string => (v === undefined ? fallback : typeof v === 'string' ? v : JSON.stringify(v));
        return `${text(appId, 'default')}/${text(serviceName, '?')}@${text(version, '?')}`;
      }
    }
  }
  return `#${index}`;
}

/** Throws ValidationError when the document as a whole is not a dump. */
export function parseGovernDump(input: unknown): GovernDump {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError(`dump: expected an object with allServicesDetail (got ${describeValue(input)})`, '(root)', input);
  }
  const shape = DumpShape.safeParse(input);
  if (!shape.success) throw toValidationError(shape.error, input);
  // An empty domain answers `{}`; any other object without the list is something else.
  if (shape.data.allServicesDetail === undefined && Object.keys(input).length > 0) {
    const keys = Object.keys(input).slice(0, 5).join(', ');
    throw new ValidationError(`allServicesDetail: missing; an empty registry answers {} (got an object with ${keys})`, 'allServicesDetail', undefined);
  }
  const entries = shape.data.allServicesDetail ?? [];
  const services: ServiceDetail[] = [];
  const rejected: RejectedEntry[] = [];
  for (let i = 0; i < entries.length; i++) {
    const raw = entries[i];
    if (isServiceDetail(raw)) {
      services.push(raw);
      continue;
    }
    const parsed = ServiceDetailSchema.safeParse(raw);
    if (parsed.success) services.push(parsed.data);
    else rejected.push({ index: i, service: labelOf(raw, i), reason: toValidationError(parsed.error, raw, `allServicesDetail[${i}]`).message });
  }
  return { services, rejected };
}
