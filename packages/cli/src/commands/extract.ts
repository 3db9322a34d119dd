/**
 * `mommy-forensics extract`: the packets of stored flows, read back from
 * their original captures, as one pcap that tcpdump and Wireshark open.
 * Flows are named by Community ID, by an SQL condition on `flows`, or both
 * (then both must hold). A one-line summary goes to stderr; with `-o -` the
 * pcap itself goes to stdout. See docs/export.md.
 * @module
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { CaptureError, ExtractError, type ExtractResult, extractFlows } from '@mommynet/core/extract';
import { DEFAULT_STORE_PATH, type Store } from '@mommynet/core/store';
import type { ArgumentsCamelCase, Argv } from 'yargs';

import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { openForReading } from '../store.js';

export function builder(y: Argv) {
  return y
    .positional('community_ids', { type: 'string', array: true, describe: 'Community IDs of the flows (1:...)' })
    .option('where', { alias: 'w', type: 'string', describe: 'SQL condition on the flows table' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'pcap file to write (- for stdout)' })
    .option('db', { type: 'string', default: DEFAULT_STORE_PATH, describe: 'DuckDB file to read' })
    .option('verify', {
      choices: ['sha256', 'size'] as const,
      default: 'sha256' as const,
      describe: 'How captures are checked against the database before use',
    })
    .option('stats', { type: 'boolean', default: false, describe: 'Write the summary as one JSON line to stderr' })
    .example("$0 extract '1:LQU9qZlK+B5F3KDmev6m5PMibrg=' -o conn.pcap", 'one connection')
    .example(`$0 extract --where "dst_port = 53 AND src_ip = '10.0.0.7'" -o dns.pcap`, 'every DNS flow of a host')
    .example("$0 extract --where \"start_time >= '2023-11-14 22:00' AND conn_state = 'REJ'\" -o - | tcpdump -nr -", 'to tcpdump')
    .epilogue(
      'Only the frames of the chosen flow records are written (same 5-tuple, VLANs and time range),\n' +
        'in capture order, unchanged. The output is pcap with the captures\' link type and timestamp\n' +
        'precision; pcapng when the frames have several link types. A capture that is gone or changed\n' +
        'since ingest (size, SHA-256) is refused.\n\n' +
        'Exit status: 0 written; 1 usage error, or no flow matches; 2 a capture is gone, changed since\n' +
        'ingest, or unreadable; 3 a capture is damaged (its packets before the damage were written);\n' +
        '5 the output could not be written; 6 the database could not be opened.',
    );
}

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>> & { community_ids?: string[] };

function exitCodeFor(err: ExtractError): ExitCode {
  switch (err.code) {
    case 'bad_selector':
    case 'no_flows':
      return EXIT.usage;
    case 'output_failed':
      return EXIT.output;
    default:
      return EXIT.input;
  }
}

async function run(store: Store, argv: Args, output: string): Promise<ExtractResult> {
  try {
    return await extractFlows(store, { communityIds: argv.community_ids, where: argv.where }, output, { verify: argv.verify });
  } catch (err) {
    if (err instanceof ExtractError) throw new CliError(err.message, exitCodeFor(err));
    if (err instanceof CaptureError) throw new CliError(err.message, err.partial ? EXIT.damaged : EXIT.input);
    throw err;
  }
}

export async function handler(argv: Args): Promise<void> {
  if (!argv.community_ids?.length && argv.where === undefined)
    throw new CliError('name flows: give Community IDs, --where, or both', EXIT.usage);
  const toStdout = argv.output === '-';
  if (toStdout && process.stdout.isTTY) throw new CliError('refusing to write a pcap to a terminal; use -o FILE', EXIT.usage);
  const store = await openForReading(argv.db);
  const tmp = toStdout ? mkdtempSync(join(tmpdir(), 'mommy-extract-')) : undefined;
  try {
    const output = tmp ? join(tmp, 'out.pcap') : argv.output;
    const r = await run(store, argv, output);
    if (tmp) await pipeline(createReadStream(output), process.stdout).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw new CliError(`cannot write to stdout: ${err.message}`, EXIT.output);
    });
    for (const d of r.damaged) process.stderr.write(`mommy-forensics: ${d.message}; packets before it were written\n`);
    const where = toStdout ? 'stdout' : argv.output;
    if (argv.stats) process.stderr.write(JSON.stringify({ ...r, damaged: r.damaged.map((d) => d.message) }) + '\n');
    else
      process.stderr.write(
        `mommy-forensics: ${r.packets} packets of ${r.flows} flow${r.flows === 1 ? '' : 's'} ` +
          `(${r.captures.length} capture${r.captures.length === 1 ? '' : 's'}) written to ${where} as ${r.format}\n`,
      );
    if (r.packets === 0)
      process.stderr.write('mommy-forensics: warning: no packet of the selected flows was found in their captures\n');
    process.exitCode = r.damaged.length ? EXIT.damaged : EXIT.ok;
  } finally {
    store.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
