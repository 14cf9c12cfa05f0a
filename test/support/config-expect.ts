// Shared by the config tests: a scratch folder and a matcher for ConfigError.
import { expect } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, type ConfigSource } from '../../lib/config/errors.ts';

export interface Scratch {
  readonly dir: string;
  write(name: string, text: string): Promise<string>;
  remove(): Promise<void>;
}

export async function scratch(): Promise<Scratch> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sc2mesh-config-'));
  return {
    dir,
    async write(name: string, text: string): Promise<string> {
      const file = path.join(dir, name);
      await writeFile(file, text);
      return file;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface ExpectedError {
  key: string;
  source: ConfigSource;
  /** substrings the message must contain */
  says?: readonly string[];
  /** substrings it must not contain (secrets) */
  hides?: readonly string[];
}

export async function expectConfigError(promise: Promise<unknown>, expected: ExpectedError): Promise<ConfigError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const error = caught as ConfigError;
  expect({ key: error.key, source: error.source }).toEqual({ key: expected.key, source: expected.source });
  for (const text of expected.says ?? []) expect(error.message).toContain(text);
  for (const text of expected.hides ?? []) expect(error.message).not.toContain(text);
  expect(error.message).not.toContain('\n');
  return error;
}
