/**
 * `mommy-forensics simulate`: writes a synthetic capture of a small
 * organisation's traffic with attacks mixed in (NAME.pcap), a label per
 * attack episode (NAME.labels.jsonl) and, with the threat-intel attack, the
 * indicator list it needs (NAME.intel.txt). One JSON summary line on
 * stdout. The traffic and the attacks: docs/simulate.md.
 * @module
 */
import { ATTACK_KINDS, type AttackKind, DEFAULT_START, type Intensity, type Simulation, type SimulationFiles, simulate, writeSimulation } from '@mommynet/core';
import type { ArgumentsCamelCase, Argv } from 'yargs';

import { CliError, EXIT } from '../exit-codes.js';

export function builder(y: Argv) {
  return y
    .option('out', { type: 'string', default: '.', describe: 'Directory for the files (created if missing)' })
    .option('name', { type: 'string', default: 'simulated', describe: 'File name stem: NAME.pcap, NAME.labels.jsonl, NAME.intel.txt' })
    .option('seed', { type: 'number', default: 1, describe: 'Seed; the same options give byte-identical files' })
    .option('duration', { type: 'number', default: 300, describe: 'Seconds of capture (30 to 3600)' })
    .option('attacks', { type: 'string', default: 'all', describe: `Comma-separated attacks, all, or none (${ATTACK_KINDS.join(', ')})` })
    .option('intensity', { type: 'string', default: 'medium', describe: 'low, medium, high, or a factor on medium (0.5, 3)' })
    .option('start', { type: 'string', default: DEFAULT_START, describe: 'When the capture starts (ISO 8601, UTC)' })
    .option('snaplen', { type: 'number', default: 256, describe: 'Bytes kept of each frame (65535: whole frames)' })
    .example('$0 simulate', './simulated.pcap with every attack at medium intensity, 5 minutes')
    .example('$0 simulate --attacks none --duration 600 --seed 7 --name benign', 'ten minutes of normal traffic only')
    .example('$0 simulate --attacks port_scan,dns_tunnel --intensity low --out lab', 'two faint attacks, into lab/')
    .epilogue(
      'Medium intensity is sized so that the detectors fire at their default thresholds; low stays at\n' +
        'or below them; high goes far past them.\n\n' +
        'Exit status: 0 written; 1 usage error (an unknown attack, an intensity or duration out of range);\n' +
        '5 the files could not be written.',
    );
}

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>>;

function attacksFrom(text: string): AttackKind[] {
  if (text === 'all') return [...ATTACK_KINDS];
  if (text === 'none') return [];
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) {
    if (!(ATTACK_KINDS as readonly string[]).includes(n)) throw new CliError(`--attacks: unknown attack '${n}' (known: ${ATTACK_KINDS.join(', ')}, all, none)`, EXIT.usage);
  }
  return names as AttackKind[];
}

function intensityFrom(text: string): Intensity {
  return /^\d+(\.\d+)?$/.test(text) ? Number(text) : (text as Intensity);
}

/** The command-line names of the simulator's options, for its error messages. */
const OPTION_NAMES: Record<string, string> = { durationSeconds: 'duration', captureName: 'name' };

function run(argv: Args): Simulation {
  try {
    return simulate({
      seed: argv.seed,
      durationSeconds: argv.duration,
      start: argv.start,
      attacks: attacksFrom(argv.attacks),
      intensity: intensityFrom(argv.intensity),
      captureName: `${argv.name}.pcap`,
      snaplen: argv.snaplen,
    });
  } catch (err) {
    if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
    throw new CliError(err.message.replace(/option '(\w+)'/, (_, o: string) => `--${OPTION_NAMES[o] ?? o}`), EXIT.usage);
  }
}

function write(sim: Simulation, dir: string, name: string): SimulationFiles {
  try {
    return writeSimulation(sim, dir, name);
  } catch (err) {
    throw new CliError(`cannot write to ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.output);
  }
}

export async function handler(argv: Args): Promise<void> {
  const sim = run(argv);
  const files = write(sim, argv.out, argv.name);
  const o = sim.options;
  process.stdout.write(
    JSON.stringify({
      files,
      packets: sim.packets,
      bytes: sim.pcap.length,
      flows: sim.flows,
      labels: sim.labels.length,
      seed: o.seed,
      duration: o.durationSeconds,
      start: new Date(o.startUs / 1000).toISOString(),
      attacks: o.attacks,
    }) + '\n',
  );
}
