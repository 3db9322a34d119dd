/**
 * The `mommy-forensics` command: parses arguments with yargs and runs one
 * subcommand. Errors go to stderr as one line; data goes to stdout only.
 * @module
 */
import yargs, { type ArgumentsCamelCase, type Argv } from 'yargs';

import { CliError, EXIT, EXIT_CODES_HELP } from './exit-codes.js';

/** What a command module exports: its options, and what it does with them. */
interface CommandCode<T> {
  builder(y: Argv): Argv<T>;
  handler(argv: ArgumentsCamelCase<T>): Promise<void>;
}

interface CommandEntry {
  /** Yargs' command string: the name, then the positionals. */
  command: string;
  describe: string;
  /** `cli` with this command, its module loaded. */
  add: (cli: Argv) => Promise<Argv>;
}

/** A command whose module `load` brings its options and handler, when it is the one run. */
function lazyCommand<T>(command: string, describe: string, load: () => Promise<CommandCode<T>>): CommandEntry {
  return {
    command,
    describe,
    add: async (cli) => {
      const code = await load();
      return cli.command(command, describe, code.builder, code.handler) as Argv;
    },
  };
}

/*
 * Every command, its module loaded only when it is the one run: each loads
 * what it needs (DuckDB, Arrow, onnxruntime, the addon: together about half
 * a second), and `--help` needs none of that.
 */
const COMMANDS: readonly CommandEntry[] = [
  lazyCommand('flows [captures..]', 'Print the flows of capture files, or of a live interface', () => import('./commands/flows.js')),
  lazyCommand('query [sql]', 'Run read-only SQL, or a saved query, over the store or a Parquet lake', () => import('./commands/query.js')),
  lazyCommand('queries [name]', 'List the saved queries (or show one, with its SQL)', () => import('./commands/queries.js')),
  lazyCommand('ingest <captures..>', 'Read captures into the forensics database', () => import('./commands/ingest.js')),
  lazyCommand('alerts', 'List the alerts in the database', () => import('./commands/alerts.js')),
  lazyCommand('export', 'Write flows and alerts as Parquet partitioned by date and sensor', () => import('./commands/export.js')),
  lazyCommand('extract [community_ids..]', 'Write the packets of stored flows, from their original captures, to a pcap', () => import('./commands/extract.js')),
  lazyCommand('evaluate <captures..>', 'Score the detectors against labelled captures', () => import('./commands/evaluate.js')),
  lazyCommand('simulate', 'Write a synthetic capture of normal traffic and attacks, with labels', () => import('./commands/simulate.js')),
  lazyCommand('train', 'Train an anomaly model (Isolation Forest or LSTM) into a model file', () => import('./commands/train.js')),
  lazyCommand('models', 'List model files with their cards, and the drift of recent scores', () => import('./commands/models.js')),
];

const nameOf = (entry: CommandEntry) => entry.command.split(' ')[0]!;

/**
 * The command named on the line: the first argument that is not an option
 * (the tool has no options of its own that take a value, so none can stand
 * before it).
 */
function namedCommand(argv: readonly string[]): CommandEntry | undefined {
  const name = argv.find((a) => !a.startsWith('-'));
  return COMMANDS.find((c) => nameOf(c) === name);
}

/** Every command in `cli`'s list; only `run`'s options and handler are loaded (the others are never run). */
async function addCommands(cli: Argv, run: CommandEntry | undefined): Promise<Argv> {
  for (const entry of COMMANDS) {
    if (entry === run) {
      cli = await entry.add(cli);
    } else {
      cli = cli.command(entry.command, entry.describe, {}, () => {
        throw new Error(`command ${nameOf(entry)} ran without its code loaded`);
      });
    }
  }
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  const base = yargs(argv)
    .scriptName('mommy-forensics')
    .usage('$0 <command> [options]\n\nNetwork forensics over packet captures: flows, storage, queries, detection, anomaly models.');
  const cli = (await addCommands(base, namedCommand(argv)))
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .strict()
    .epilogue(EXIT_CODES_HELP)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      // Without an error object this is yargs' own parsing complaint.
      if (err) throw err;
      throw new CliError(`${msg} (see --help)`, EXIT.usage);
    });
  try {
    await cli.parseAsync();
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`mommy-forensics: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`mommy-forensics: internal error: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 70;
  }
}
