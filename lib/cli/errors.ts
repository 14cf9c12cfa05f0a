// Exit codes shared by every command, and the error a command throws to end with one.
export const EXIT_OK = 0;
/** input or configuration could not be used */
export const EXIT_FAILURE = 1;
/** the job ran, but some services were skipped (each one reported on stderr) */
export const EXIT_PARTIAL = 3;

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode = EXIT_FAILURE) {
    super(message);
    this.exitCode = exitCode;
  }
}
