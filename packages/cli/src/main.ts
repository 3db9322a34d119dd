/**
 * The `mommy-forensics` command: parses arguments with yargs and runs one
 * subcommand. Errors go to stderr as one line; data goes to stdout only.
 * @module
 */
import yargs from 'yargs';

import * as exportCommand from './commands/export.js';
import * as extract from './commands/extract.js';
import * as alerts from './commands/alerts.js';
import * as flows from './commands/flows.js';
import * as queries from './commands/queries.js';
import * as query from './commands/query.js';
import * as evaluate from './commands/evaluate.js';
import * as ingest from './commands/ingest.js';
import * as simulate from './commands/simulate.js';
import * as train from './commands/train.js';
import * as models from './commands/models.js';
import { CliError, EXIT, EXIT_CODES_HELP } from './exit-codes.js';

export async function main(argv: string[]): Promise<void> {
  const cli = yargs(argv)
    .scriptName('mommy-forensics')
    .usage('$0 <command> [options]\n\nNetwork forensics over packet captures: flows, storage, queries, detection, anomaly models.')
    .command(flows)
    .command(query)
    .command(queries)
    .command(ingest)
    .command(alerts)
    .command(exportCommand)
    .command(extract)
    .command(evaluate)
    .command(simulate)
    .command(train)
    .command(models)
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
