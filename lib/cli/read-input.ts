// Reads a JSON document from a file or stdin (`-`), failing with the path and the cause.
import { readFile } from 'node:fs/promises';
import { CliError } from './errors.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJsonInput(path: string, flag = '--input'): Promise<unknown> {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`${flag} ${JSON.stringify(path)}: cannot read (${code ?? (error as Error).message})`);
  }
  try {
    // Some editors (and PowerShell 5) start UTF-8 files with a byte-order mark; JSON.parse refuses it.
    return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text) as unknown;
  } catch (error) {
    throw new CliError(`${flag} ${JSON.stringify(path)}: not valid JSON (${(error as Error).message})`);
  }
}
