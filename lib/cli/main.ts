// The `sc2mesh` command line. Each command lives in its own file; this only wires them.
import { Command, CommanderError } from 'commander';
import { renderCommand, type CommandIo } from './render-command.ts';
import { demoCommand } from './demo-command.ts';
import { runCommand } from './run-command.ts';
import { diffCommand, resyncCommand } from './resync-command.ts';
import { statusCommand } from './status-command.ts';
import { footprintCommand } from './footprint-command.ts';
import { governanceCommand } from './governance-command.ts';
import { CliError, EXIT_CANNOT_RUN, EXIT_FAILURE, oneLine } from './errors.ts';

/** Commands whose "could not run" code is 2 rather than 1 (kubectl diff's convention). */
const CANNOT_RUN_IS_2 = new Set(['diff', 'resync']);

/** Errors from a bug rather than from the world: their stack is what a report needs. */
function isBug(error: unknown): boolean {
  return error instanceof TypeError || error instanceof ReferenceError || error instanceof RangeError || error instanceof SyntaxError;
}

/**
 * A reader that closes early ("sc2mesh render --help | head -1") makes the next write to
 * stdout fail with EPIPE, asynchronously, as an unhandled 'error' event. That is the
 * reader's choice, not a failure: the rest of the output is dropped and the command ends
 * with its own exit code.
 */
export function quietOnClosedStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

export function buildProgram(io: CommandIo, setExit: (code: number) => void): Command {
  const program = new Command('sc2mesh')
    .description('Make ServiceComb service-center services discoverable in an Istio mesh')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  for (const command of [demoCommand(io, setExit), runCommand(io, setExit), renderCommand(io, setExit), diffCommand(io, setExit), resyncCommand(io, setExit), statusCommand(io, setExit), footprintCommand(io, setExit), governanceCommand(io, setExit)]) {
    program.addCommand(command.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) }));
  }
  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit itself). */
export async function main(argv: readonly string[], io: CommandIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    const failure = CANNOT_RUN_IS_2.has(argv[0] ?? '') ? EXIT_CANNOT_RUN : EXIT_FAILURE;
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : failure;
    if (error instanceof CliError) {
      io.stderr.write(`sc2mesh: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`sc2mesh: ${isBug(error) ? ((error as Error).stack ?? oneLine(error)) : oneLine(error)}\n`);
    return failure;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  quietOnClosedStdout();
  process.exitCode = await main(process.argv.slice(2));
}
