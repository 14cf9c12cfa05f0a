// `--print-config`: the resolved configuration as YAML that loads back as a config file,
// secrets redacted, each value that is not a default annotated with where it came from.
import { Document, isCollection, isScalar } from 'yaml';
import { REDACTED, type Origin } from './errors.ts';
import { CONFIG_KEYS } from './keys.ts';
import { configOrigin } from './provenance.ts';
import type { Sc2meshConfig } from './schema.ts';

function originLabel(origin: Origin): string {
  if (origin.source === 'file') return `file ${origin.file ?? ''}`;
  return `${origin.source} ${origin.key}`;
}

export function describeConfig(config: Sc2meshConfig): string {
  // JSON drops undefined (an unset render.exportTo) and copies, so redaction cannot touch the config.
  const plain = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  const doc = new Document(plain);
  for (const key of CONFIG_KEYS) {
    const keyPath = key.path.split('.');
    const node = doc.getIn(keyPath, true);
    if (node === undefined) continue;
    if (key.secret && isScalar(node) && node.value !== '') node.value = REDACTED;
    if (isCollection(node)) node.flow = true;
    const origin = configOrigin(config, key.path);
    if ((isScalar(node) || isCollection(node)) && origin !== undefined && origin.source !== 'default') node.comment = ` ${originLabel(origin)}`;
  }
  return `# sc2mesh configuration (secrets redacted)\n${doc.toString({ lineWidth: 0 })}`;
}
