// The ServiceComb service-center wire model (field names as on the wire, see
// ../shared/reference/servicecomb/README.md). Everything that comes from a registry is
// parsed here, at the boundary: unknown fields are tolerated (newer servers add some),
// wrong types are rejected with the field named.
import { z } from 'zod';

const stringMap = z.record(z.string(), z.string());

export const DataCenterInfoSchema = z.looseObject({
  name: z.string().optional(),
  region: z.string().optional(),
  availableZone: z.string().optional(),
});

export const HealthCheckSchema = z.looseObject({
  mode: z.string().optional(),
  port: z.number().optional(),
  interval: z.number().optional(),
  times: z.number().optional(),
  url: z.string().optional(),
});

export const InstanceStatusValues = ['UP', 'DOWN', 'STARTING', 'TESTING', 'OUTOFSERVICE'] as const;
export type InstanceStatus = (typeof InstanceStatusValues)[number];

export const MicroServiceInstanceSchema = z.looseObject({
  instanceId: z.string().min(1),
  serviceId: z.string().optional(),
  version: z.string().optional(),
  hostName: z.string().optional(),
  // The server allows an instance with no endpoints; the list is then omitted.
  endpoints: z.array(z.string()).optional(),
  status: z.enum(InstanceStatusValues).optional(),
  properties: stringMap.optional(),
  healthCheck: HealthCheckSchema.optional(),
  dataCenterInfo: DataCenterInfoSchema.optional(),
  timestamp: z.string().optional(),
  modTimestamp: z.string().optional(),
});
export type MicroServiceInstance = z.infer<typeof MicroServiceInstanceSchema>;

export const MicroServiceSchema = z.looseObject({
  serviceId: z.string().min(1),
  appId: z.string().default('default'),
  serviceName: z.string().min(1),
  version: z.string().min(1),
  environment: z.string().optional(),
  alias: z.string().optional(),
  description: z.string().optional(),
  level: z.string().optional(),
  schemas: z.array(z.string()).optional(),
  status: z.enum(['UP', 'DOWN']).optional(),
  properties: stringMap.optional(),
  framework: z.looseObject({ name: z.string().optional(), version: z.string().optional() }).optional(),
  registerBy: z.string().optional(),
  timestamp: z.string().optional(),
  modTimestamp: z.string().optional(),
});
export type MicroService = z.infer<typeof MicroServiceSchema>;

/** One entry of the govern dump: a service (one version) and its instances. */
export const ServiceDetailSchema = z.looseObject({
  microService: MicroServiceSchema,
  instances: z.array(MicroServiceInstanceSchema).optional(),
});
export type ServiceDetail = z.infer<typeof ServiceDetailSchema>;

export const WatchActionValues = ['CREATE', 'UPDATE', 'DELETE'] as const;
export type WatchAction = (typeof WatchActionValues)[number];

/** One WebSocket text frame of the instance watch. */
export const WatchEventSchema = z.looseObject({
  action: z.enum(WatchActionValues),
  key: z.looseObject({
    tenant: z.string().optional(),
    appId: z.string(),
    serviceName: z.string(),
    version: z.string(),
    environment: z.string().optional(),
  }),
  instance: MicroServiceInstanceSchema,
});
export type WatchEvent = z.infer<typeof WatchEventSchema>;

/** A registry error body; `errorCode` is a JSON string on the wire. */
export const RegistryErrorBodySchema = z.looseObject({
  errorCode: z.string(),
  errorMessage: z.string().optional(),
  detail: z.string().optional(),
});
export type RegistryErrorBody = z.infer<typeof RegistryErrorBodySchema>;
