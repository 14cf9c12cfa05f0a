// Serialises objects for people and tools: multi-document YAML (kubectl apply -f) or a
// JSON `v1` List. Objects of one service share label maps; aliases are turned off so the
// YAML never contains anchors that some tools mishandle.
import { stringify } from 'yaml';

/** Anything printed as a manifest: every IstioObject, and the EnvoyFilter only `render` prints. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
}

export const OUTPUT_FORMATS = ['yaml', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function toYamlDocument(object: Manifest): string {
  return stringify(object, { aliasDuplicateObjects: false, lineWidth: 0 });
}

export function toYamlStream(objects: readonly Manifest[]): string {
  return objects.map((o) => `---\n${toYamlDocument(o)}`).join('');
}

export function toJsonList(objects: readonly Manifest[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: {}, items: objects }, null, 2)}\n`;
}

export function formatObjects(objects: readonly Manifest[], format: OutputFormat): string {
  return format === 'json' ? toJsonList(objects) : toYamlStream(objects);
}
