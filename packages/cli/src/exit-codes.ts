/**
 * The command's exit statuses. When several problems occur in one run the
 * highest number wins, so a script can test for "anything damaged" with >= 3.
 * @module
 */
export const EXIT = {
  ok: 0,
  /** Bad arguments or options. */
  usage: 1,
  /** A capture could not be opened, or is not a capture. */
  input: 2,
  /** A capture is damaged; flows before the damage were written. */
  damaged: 3,
  /** Live capture could not start or failed. */
  capture: 4,
  /** The output could not be written. */
  output: 5,
  /** The database could not be opened or written (locked, not DuckDB, disk full). */
  store: 6,
  /** Stopped by Ctrl-C or SIGTERM before the end; what was finished is kept. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = [
  'Exit status:',
  '  0  success',
  '  1  usage error (bad arguments or options)',
  '  2  a capture could not be opened or is not a pcap/pcapng file',
  '  3  a capture is damaged (flows before the damage were written)',
  '  4  live capture could not start or failed',
  '  5  the output could not be written',
  '  6  the database could not be opened or written (in use, not DuckDB, disk full)',
  '130  interrupted (Ctrl-C or SIGTERM); what was finished is kept',
].join('\n');

/** Thrown for an error that should end the command with a message and a status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}
