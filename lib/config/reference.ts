// The configuration reference (README table, help texts) generated from the key catalogue,
// so documentation and behaviour cannot drift apart.
import { CONFIG_KEYS, type ConfigKey } from './keys.ts';
import { DEFAULT_CONFIG } from './schema.ts';

export function defaultValueOf(keyPath: string): unknown {
  let cur: unknown = DEFAULT_CONFIG;
  for (const part of keyPath.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
  return cur;
}

/** The default as a person reads it: `20`, `"info"`, `UP`, `none`. */
export function defaultTextOf(key: ConfigKey): string {
  if (key.defaultText !== undefined) return key.defaultText;
  const value = defaultValueOf(key.path);
  if (value === undefined || value === '') return 'none';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',');
  if (typeof value === 'object' && value !== null) {
    const pairs = Object.entries(value).map(([k, v]) => `${k}=${String(v)}`);
    return pairs.length === 0 ? 'none' : pairs.join(',');
  }
  return String(value);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** Markdown table: key, environment variable, flag, default, meaning. */
export function configReferenceMarkdown(): string {
  const lines = ['| key | env var | flag | default | meaning |', '|---|---|---|---|---|'];
  for (const key of CONFIG_KEYS) {
    const flag = key.flag === undefined ? '' : `\`${key.flag}${key.flagArg === undefined ? '' : ` ${key.flagArg}`}\`${key.repeatable ? ' (repeatable)' : ''}`;
    lines.push(`| \`${key.path}\` | \`${key.env}\` | ${cell(flag)} | ${cell(`\`${defaultTextOf(key)}\``)} | ${cell(key.help)} |`);
  }
  return `${lines.join('\n')}\n`;
}
