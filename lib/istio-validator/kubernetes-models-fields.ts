// Without ../shared there is no CRD to prune against, but @kubernetes-models/istio's type
// declarations (generated from the same CRDs) name every field. Reading them with the
// TypeScript parser gives a structural skeleton, so unknown fields are still reported on
// a fresh clone. Types only: value checks come from the package's compiled validators.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type ts from 'typescript';
import { RESOURCES, type IstioKind } from '../model/istio.ts';
import type { SchemaNode } from './structural-schema.ts';

const MODELS_DIR = path.join('node_modules', '@kubernetes-models', 'istio', 'networking.istio.io');

function findDeclarationFile(kind: IstioKind): string {
  // The models are foldered by version: the one sc2mesh writes the kind at.
  const relative = path.join(MODELS_DIR, RESOURCES[kind].version, `${kind}.d.ts`);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`istio-validator: cannot find ${relative}`);
    dir = parent;
  }
}

/** Loaded on demand: the compiler is large and only this fallback needs it. */
function typescript(): typeof ts {
  return createRequire(import.meta.url)('typescript') as typeof ts;
}

interface Shape {
  type: string;
  /** any field goes (the CRD's x-kubernetes-preserve-unknown-fields, which the models type as `{}`) */
  open?: boolean;
  properties?: Map<string, Shape>;
  additionalProperties?: Shape;
  items?: Shape;
}

function propertyName(t: typeof ts, name: ts.PropertyName): string {
  if (t.isStringLiteral(name) || t.isIdentifier(name) || t.isNumericLiteral(name)) return name.text;
  throw new Error(`istio-validator: unexpected property name ${name.getText()}`);
}

/** Merges object shapes: oneOf alternatives are emitted as unions/intersections of one field set. */
function merge(shapes: Shape[]): Shape {
  const objects = shapes.filter((s) => s.type === 'object');
  if (objects.length === 0) return shapes[0] ?? { type: '' };
  const properties = new Map<string, Shape>();
  let additionalProperties: Shape | undefined;
  for (const o of objects) {
    for (const [k, v] of o.properties ?? []) properties.set(k, properties.has(k) ? merge([properties.get(k) as Shape, v]) : v);
    additionalProperties ??= o.additionalProperties;
  }
  return { type: 'object', properties, additionalProperties };
}

function shapeOf(t: typeof ts, node: ts.TypeNode): Shape {
  if (t.isTypeLiteralNode(node)) {
    // `{}`: what the generator emits for a free-form object (EnvoyFilter's patch.value).
    if (node.members.length === 0) return { type: 'object', open: true };
    const properties = new Map<string, Shape>();
    let additionalProperties: Shape | undefined;
    for (const member of node.members) {
      if (t.isPropertySignature(member) && member.type !== undefined) properties.set(propertyName(t, member.name), shapeOf(t, member.type));
      else if (t.isIndexSignatureDeclaration(member)) additionalProperties = shapeOf(t, member.type);
    }
    return { type: 'object', properties, additionalProperties };
  }
  if (t.isParenthesizedTypeNode(node)) return shapeOf(t, node.type);
  if (t.isUnionTypeNode(node) || t.isIntersectionTypeNode(node)) return merge(node.types.map((n) => shapeOf(t, n)));
  if (t.isArrayTypeNode(node)) return { type: 'array', items: shapeOf(t, node.elementType) };
  if (t.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    const first = node.typeArguments?.[0];
    if (name === 'Array' && first !== undefined) return { type: 'array', items: shapeOf(t, first) };
    if (name === 'Exclude' && first !== undefined) return shapeOf(t, first);
  }
  return { type: '' };
}

function toSchemaNode(shape: Shape, location: string, preserveUnknownFields = false): SchemaNode {
  const at = (name: string) => (location === '<root>' ? name : `${location}.${name}`);
  return {
    type: shape.type,
    intOrString: false,
    nullable: false,
    hasDefault: false,
    preserveUnknownFields: preserveUnknownFields || shape.open === true,
    // The CRDs let status keep any field (x-kubernetes-preserve-unknown-fields).
    properties: shape.properties && new Map([...shape.properties].map(([k, v]) => [k, toSchemaNode(v, at(k), location === '<root>' && k === 'status')])),
    additionalProperties: shape.additionalProperties && toSchemaNode(shape.additionalProperties, `${location}[*]`),
    items: shape.items && toSchemaNode(shape.items, `${location}[*]`),
    listType: undefined,
    listMapKeys: [],
    rules: [],
    location,
  };
}

/** The field skeleton of a kind, from the `I<Kind>` interface's spec and status. */
export function kubernetesModelsSkeleton(kind: IstioKind): SchemaNode {
  const t = typescript();
  const file = findDeclarationFile(kind);
  const source = t.createSourceFile(file, readFileSync(file, 'utf8'), t.ScriptTarget.Latest, true);
  const iface = source.statements.find((s): s is ts.InterfaceDeclaration => t.isInterfaceDeclaration(s) && s.name.text === `I${kind}`);
  if (iface === undefined) throw new Error(`istio-validator: ${file} has no interface I${kind}`);
  const properties = new Map<string, Shape>();
  for (const member of iface.members) {
    if (!t.isPropertySignature(member) || member.type === undefined) continue;
    const name = propertyName(t, member.name);
    if (name === 'spec' || name === 'status') properties.set(name, shapeOf(t, member.type));
  }
  if (!properties.has('spec')) throw new Error(`istio-validator: ${file}: I${kind} has no spec`);
  return toSchemaNode({ type: 'object', properties }, '<root>');
}
