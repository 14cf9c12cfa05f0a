// The `sc2mesh` command line. Each command lives in its own file; this only wires them.
import { Command, CommanderError } from 'commander';
import { renderCommand, type CommandIo } from './render-command.ts';
import { demoCommand } from './demo-command.ts';
import { runCommand } from './run-command.ts';
import { diffCommand, resyncCommand } from './resync-command.ts';
import { statusCommand } from './status-command.ts';
import { CliError, EXIT_FAILURE } from './errors.ts';

export function buildProgram(io: CommandIo, setExit: (code: number) => void): Command {
  const program = new Command('sc2mesh')
    .description('Make ServiceComb service-center services discoverable in an Istio mesh')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  for (const command of [demoCommand(io, setExit), runCommand(io, setExit), renderCommand(io, setExit), diffCommand(io, setExit), resyncCommand(io, setExit), statusCommand(io, setExit)]) {
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
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_FAILURE;
    if (error instanceof CliError) {
      io.stderr.write(`sc2mesh: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`sc2mesh: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_FAILURE;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
