// A CRD schema reduced to its structural skeleton (properties / additionalProperties /
// items plus the x-kubernetes-* markers): what pruning, list-type checks and the CEL
// rules walk alongside an object. Value checks (enum, bounds, oneOf, ...) stay with ajv.
import type { JSONSchemaProps, ValidationRule } from './json-schema-props.ts';

export interface SchemaNode {
  /** The schema `type`; '' for x-kubernetes-int-or-string or an untyped node. */
  readonly type: string;
  readonly intOrString: boolean;
  readonly nullable: boolean;
  readonly hasDefault: boolean;
  readonly preserveUnknownFields: boolean;
  readonly properties: ReadonlyMap<string, SchemaNode> | undefined;
  readonly additionalProperties: SchemaNode | undefined;
  readonly items: SchemaNode | undefined;
  readonly listType: 'atomic' | 'set' | 'map' | undefined;
  readonly listMapKeys: readonly string[];
  readonly rules: readonly ValidationRule[];
  /** Where in the CRD this node sits, e.g. `spec.ports[*].number`: for load-time errors. */
  readonly location: string;
}

export function buildSchemaNode(props: JSONSchemaProps, location = '<root>'): SchemaNode {
  const properties =
    props.properties === undefined
      ? undefined
      : new Map(
          Object.entries(props.properties).map(([name, child]) => [
            name,
            buildSchemaNode(child, location === '<root>' ? name : `${location}.${name}`),
          ]),
        );
  const additional = props.additionalProperties;
  const intOrString = props['x-kubernetes-int-or-string'] === true;
  return {
    type: intOrString ? '' : (props.type ?? ''),
    intOrString,
    nullable: props.nullable === true,
    hasDefault: props.default !== undefined,
    // additionalProperties: true keeps every field, the way preserve-unknown-fields does.
    preserveUnknownFields: props['x-kubernetes-preserve-unknown-fields'] === true || additional === true,
    properties,
    additionalProperties: typeof additional === 'object' ? buildSchemaNode(additional, `${location}[*]`) : undefined,
    items: props.items === undefined ? undefined : buildSchemaNode(props.items, `${location}[*]`),
    listType: props['x-kubernetes-list-type'],
    listMapKeys: props['x-kubernetes-list-map-keys'] ?? [],
    rules: props['x-kubernetes-validations'] ?? [],
    location,
  };
}

export const isJsonObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
