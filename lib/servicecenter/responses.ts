// Shapes of the registry's answers (wire names), validated at the boundary. The entity
// schemas come from lib/model/registry.ts; these add the envelopes around them.
import { z } from 'zod';
import { MicroServiceInstanceSchema, MicroServiceSchema } from '../model/registry.ts';

/** errorCode is a string on the wire; a number is accepted and turned into one. */
export const ErrorInfoSchema = z.looseObject({
  errorCode: z.union([z.string(), z.number().transform(String)]),
  errorMessage: z.string().optional(),
  detail: z.string().optional(),
});

/** The list envelope only; entries are validated one by one so one bad service is skipped, not fatal. */
export const ServicesResponseSchema = z.looseObject({ services: z.array(z.unknown()).optional() });

export const ServiceResponseSchema = z.looseObject({ service: MicroServiceSchema });

export const InstancesResponseSchema = z.looseObject({ instances: z.array(MicroServiceInstanceSchema).optional() });

export const BatchFindResponseSchema = z.looseObject({
  services: z
    .looseObject({
      updated: z
        .array(
          z.looseObject({
            // Go may omit a zero index; the README shows it present. Missing means 0.
            index: z.number().int().nonnegative().default(0),
            rev: z.string().default(''),
            // entries validated one by one: one malformed instance is skipped, not the answer
            instances: z.array(z.unknown()).optional(),
          }),
        )
        .optional(),
      notModified: z.array(z.number().int().nonnegative()).optional(),
      failed: z.array(z.looseObject({ indexes: z.array(z.number().int().nonnegative()).optional(), error: ErrorInfoSchema })).optional(),
    })
    .optional(),
});

export const ServiceIdResponseSchema = z.looseObject({ serviceId: z.string().min(1) });

export const InstanceIdResponseSchema = z.looseObject({ instanceId: z.string().min(1) });
