// Structured JSON logs (pino). Every run or batch gets a child logger carrying its
// correlation id, so one push can be followed from the event to the API call.
import { randomUUID } from 'node:crypto';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function levelFromEnv(): LevelWithSilent {
  const raw = process.env['SC2MESH_LOG_LEVEL'] ?? process.env['LOG_LEVEL'];
  if (raw === undefined || raw === '') return 'info';
  const level = raw.toLowerCase() as LevelWithSilent;
  if (!LEVELS.includes(level)) throw new Error(`SC2MESH_LOG_LEVEL: expected one of ${LEVELS.join(', ')} (got ${JSON.stringify(raw)})`);
  return level;
}

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** where logs go; stderr by default so stdout stays free for command output */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  return pino(
    {
      base: { app: 'sc2mesh' },
      level: options.level ?? levelFromEnv(),
      // Never log credentials, whatever a caller passes in.
      redact: { paths: ['*.password', '*.token', '*.authorization', '*.Authorization', 'headers.authorization'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream,
  );
}

/** A logger that drops everything: the default for library code under test. */
export const silentLogger: Logger = pino({ level: 'silent' });

export function newCorrelationId(): string {
  return randomUUID();
}

export function withCorrelation(logger: Logger, correlationId: string = newCorrelationId(), extra: Record<string, unknown> = {}): Logger {
  return logger.child({ correlationId, ...extra });
}
