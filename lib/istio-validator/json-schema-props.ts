// The part of apiextensions.k8s.io/v1 JSONSchemaProps that the Istio CRDs use, checked
// with zod when a CRD file is read so a malformed file fails loudly at load time.
import { z } from 'zod';

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

export interface JSONSchemaProps {
  type?: string;
  format?: string;
  nullable?: boolean;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  required?: string[];
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'granular' | 'atomic';
  [extra: string]: unknown;
}

const validationRuleSchema = z.object({
  rule: z.string().min(1),
  message: z.string().optional(),
  messageExpression: z.string().optional(),
  reason: z.enum(['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate']).optional(),
  fieldPath: z.string().optional(),
  optionalOldSelf: z.boolean().optional(),
});

export const jsonSchemaPropsSchema: z.ZodType<JSONSchemaProps> = z.lazy(() =>
  z.looseObject({
    type: z.enum(['object', 'array', 'string', 'integer', 'number', 'boolean']).optional(),
    format: z.string().optional(),
    nullable: z.boolean().optional(),
    default: z.unknown().optional(),
    enum: z.array(z.unknown()).optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    exclusiveMinimum: z.boolean().optional(),
    exclusiveMaximum: z.boolean().optional(),
    multipleOf: z.number().optional(),
    minLength: z.number().int().optional(),
    maxLength: z.number().int().optional(),
    pattern: z.string().optional(),
    minItems: z.number().int().optional(),
    maxItems: z.number().int().optional(),
    uniqueItems: z.boolean().optional(),
    minProperties: z.number().int().optional(),
    maxProperties: z.number().int().optional(),
    required: z.array(z.string()).optional(),
    properties: z.record(z.string(), jsonSchemaPropsSchema).optional(),
    additionalProperties: z.union([z.boolean(), jsonSchemaPropsSchema]).optional(),
    items: jsonSchemaPropsSchema.optional(),
    allOf: z.array(jsonSchemaPropsSchema).optional(),
    anyOf: z.array(jsonSchemaPropsSchema).optional(),
    oneOf: z.array(jsonSchemaPropsSchema).optional(),
    not: jsonSchemaPropsSchema.optional(),
    'x-kubernetes-validations': z.array(validationRuleSchema).optional(),
    'x-kubernetes-int-or-string': z.boolean().optional(),
    'x-kubernetes-preserve-unknown-fields': z.boolean().optional(),
    'x-kubernetes-embedded-resource': z.boolean().optional(),
    'x-kubernetes-list-type': z.enum(['atomic', 'set', 'map']).optional(),
    'x-kubernetes-list-map-keys': z.array(z.string()).optional(),
    'x-kubernetes-map-type': z.enum(['granular', 'atomic']).optional(),
  }),
);
