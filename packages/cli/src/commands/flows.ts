/**
 * `mommy-forensics flows`: captures in, one flow record per line out.
 * Reads capture files in order (each with its own flow table), or captures
 * live from an interface until Ctrl-C, SIGTERM or --duration.
 * @module
 */
import { Capture, CaptureError, type CaptureStats } from '@mommynet/core/flows';
import type { Argv, ArgumentsCamelCase } from 'yargs';

import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { flowOptionsFrom, withFlowOptions } from '../flow-options.js';
import { FLOW_FORMATS, type FlowFormat, type FlowWriter, formatFromPath, openFlowWriter } from '../output/formats.js';
import { onStopSignals } from '../signals.js';

export function builder(y: Argv) {
  return withFlowOptions(y)
    .positional('captures', { type: 'string', array: true, describe: 'pcap/pcapng files (.gz too; /dev/stdin for a pipe)' })
    .option('interface', { alias: 'i', type: 'string', describe: 'Capture live from this interface' })
    .option('output', { alias: 'o', type: 'string', describe: 'Write here instead of standard output' })
    .option('format', {
      alias: 'f',
      choices: FLOW_FORMATS,
      describe: 'Output format (default: from the -o extension, else jsonl)',
    })
    .option('payload', { type: 'boolean', default: false, describe: 'Include payload prefixes (base64)' })
    .option('stats', { type: 'boolean', default: false, describe: 'Write a JSON summary line to stderr at the end' })
    .option('filter', { type: 'string', describe: 'Live: BPF filter, tcpdump syntax' })
    .option('snaplen', { type: 'number', describe: 'Live: bytes kept per packet (default 262144)' })
    .option('promisc', { type: 'boolean', describe: 'Live: promiscuous mode (default on; --no-promisc)' })
    .option('buffer-size', { type: 'number', describe: 'Live: kernel ring buffer bytes per worker (default 32 MiB)' })
    .option('immediate', { type: 'boolean', describe: 'Live: deliver packets at once (libpcap then uses TPACKET_V2)' })
    .option('workers', { type: 'number', describe: 'Live: capture threads with PACKET_FANOUT (default 1)' })
    .option('duration', { type: 'number', describe: 'Live: stop after this many seconds' })
    .example('$0 flows trace.pcap', 'JSON lines on standard output')
    .example('$0 flows a.pcap b.pcapng.gz -o flows.parquet --stats', 'two captures into Parquet, summary on stderr')
    .example("$0 flows -i eth0 --filter 'tcp port 443' --duration 60", 'one minute of live HTTPS flows');
}

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>>;

interface RunSummary {
  captures: number;
  packets: number;
  bytes: number;
  decoded: number;
  skipped: number;
  skipped_by_reason: Record<string, number>;
  flows: number;
  evictions: number;
  ps_recv?: number;
  ps_drop?: number;
  ps_ifdrop?: number;
  errors: { source: string; code: string; offset?: number; message: string }[];
  seconds: number;
}

function addStats(sum: RunSummary, s: CaptureStats) {
  sum.captures += 1;
  sum.packets += s.packets;
  sum.bytes += s.bytes;
  sum.decoded += s.decoded;
  sum.skipped += s.skipped;
  for (const [k, v] of Object.entries(s.skippedByReason)) sum.skipped_by_reason[k] = (sum.skipped_by_reason[k] ?? 0) + v;
  sum.flows += s.flows;
  sum.evictions += s.evictions;
}

async function drain(capture: Capture, writer: FlowWriter): Promise<void> {
  // Ctrl-C / SIGTERM stop the capture: open flows are still written.
  const release = onStopSignals(() => capture.stop());
  try {
    for await (const batch of capture) {
      await writer.write(batch);
      if (writer.gone) break;
    }
  } finally {
    release();
  }
}

function codeFor(err: CaptureError): ExitCode {
  if (err.partial) return EXIT.damaged;
  return err.live ? EXIT.capture : EXIT.input;
}

function checkSources(argv: Args): void {
  const files = argv.captures ?? [];
  if (argv.interface && files.length) throw new CliError('give capture files or --interface, not both', EXIT.usage);
  if (!argv.interface && !files.length) throw new CliError('give at least one capture file, or --interface', EXIT.usage);
}

export async function handler(argv: Args): Promise<void> {
  checkSources(argv);
  const started = performance.now();
  const format: FlowFormat = (argv.format as FlowFormat | undefined) ?? formatFromPath(argv.output) ?? 'jsonl';
  const writer = await openFlowWriter({ format, output: argv.output, payload: argv.payload });
  const summary: RunSummary = {
    captures: 0, packets: 0, bytes: 0, decoded: 0, skipped: 0, skipped_by_reason: {}, flows: 0, evictions: 0, errors: [], seconds: 0,
  };
  let exitCode: ExitCode = EXIT.ok;
  const report = (err: unknown, source: string) => {
    if (!(err instanceof CaptureError)) throw err;
    process.stderr.write(`mommy-forensics: ${err.message}\n`);
    summary.errors.push({ source, code: err.code, ...(err.offset !== undefined ? { offset: err.offset } : {}), message: err.message });
    exitCode = Math.max(exitCode, codeFor(err)) as ExitCode;
  };

  try {
    if (argv.interface) {
      let capture: Capture;
      try {
        capture = Capture.openLive({
          ...flowOptionsFrom(argv),
          interface: argv.interface,
          ...(argv.filter !== undefined && { filter: argv.filter }),
          ...(argv.snaplen !== undefined && { snaplen: argv.snaplen }),
          ...(argv.promisc !== undefined && { promisc: argv.promisc }),
          ...(argv.bufferSize !== undefined && { bufferSize: argv.bufferSize }),
          ...(argv.immediate !== undefined && { immediate: argv.immediate }),
          ...(argv.workers !== undefined && { workers: argv.workers }),
        });
      } catch (err) {
        if (err instanceof TypeError || err instanceof RangeError) throw new CliError(err.message, EXIT.usage);
        if (err instanceof CaptureError) throw new CliError(err.message, EXIT.capture);
        throw err;
      }
      const timer = argv.duration ? setTimeout(() => capture.stop(), argv.duration * 1000) : undefined;
      try {
        await drain(capture, writer);
      } catch (err) {
        report(err, argv.interface);
      } finally {
        clearTimeout(timer);
      }
      const s = capture.stats();
      addStats(summary, s);
      Object.assign(summary, { ps_recv: s.psRecv, ps_drop: s.psDrop, ps_ifdrop: s.psIfDrop });
      capture.close();
    } else {
      for (const path of argv.captures ?? []) {
        if (writer.gone) break;
        let capture: Capture;
        try {
          capture = Capture.openFile(path, flowOptionsFrom(argv));
        } catch (err) {
          if (err instanceof TypeError || err instanceof RangeError) throw new CliError(err.message, EXIT.usage);
          report(err, path);
          continue;
        }
        try {
          await drain(capture, writer);
        } catch (err) {
          report(err, path);
        }
        addStats(summary, capture.stats());
        capture.close();
      }
    }
  } finally {
    await writer.close();
  }
  summary.seconds = Math.round(performance.now() - started) / 1000;
  if (argv.stats) process.stderr.write(JSON.stringify(summary) + '\n');
  process.exitCode = exitCode;
}
