// Exit codes shared by every command, and the error a command throws to end with one.
export const EXIT_OK = 0;
/** input or configuration could not be used; for `diff`: differences found; for `resync` and `run --once`: it ran, not everything was done */
export const EXIT_FAILURE = 1;
/** `diff` and `resync`: nothing could be computed (registry or cluster unreadable, bad input, state unreachable), as kubectl diff's >1 */
export const EXIT_CANNOT_RUN = 2;
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

/**
 * One line for a terminal: the message, then each cause that adds something (a wrapper
 * often repeats its cause's text, "registry unavailable: registry unavailable: …").
 */
export function oneLine(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const text = current instanceof Error ? current.message : String(current);
    if (!parts.some((p) => p.includes(text))) parts.push(text);
    current = current instanceof Error ? current.cause : undefined;
  }
  return collapseRepeats(parts.join(': ').replace(/\s*\n\s*/g, ' '));
}

/** "a: a: b" → "a: b", for messages built by prefixing the same words at several layers. */
export function collapseRepeats(text: string): string {
  let out = text;
  for (;;) {
    const next = out.replace(/(^|: )([^:]{3,}?): \2(: | |$)/i, '$1$2$3');
    if (next === out) return out;
    out = next;
  }
}
