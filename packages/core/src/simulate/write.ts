/**
 * A simulation's files: `NAME.pcap`, `NAME.labels.jsonl` (one label a line,
 * see evaluate/labels.ts) and, when the threat-intel attack ran,
 * `NAME.intel.txt`.
 * @module
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { formatLabel } from '../evaluate/labels.js';
import type { Simulation } from './simulate.js';

export interface SimulationFiles {
  pcap: string;
  labels: string;
  intel?: string;
}

/**
 * Makes `dir` and its missing parents one level at a time: Node 20's
 * `mkdirSync(dir, { recursive: true })` never returns for a path under
 * /proc (it retries ENOENT forever), where this throws.
 */
function makeDirectory(dir: string): void {
  if (existsSync(dir)) return;
  if (dirname(dir) !== dir) makeDirectory(dirname(dir));
  mkdirSync(dir);
}

/** Writes the files into `dir` (created if missing); their paths. */
export function writeSimulation(sim: Simulation, dir: string, name: string): SimulationFiles {
  makeDirectory(dir);
  const files: SimulationFiles = { pcap: join(dir, `${name}.pcap`), labels: join(dir, `${name}.labels.jsonl`) };
  writeFileSync(files.pcap, sim.pcap);
  writeFileSync(files.labels, sim.labels.map((l) => formatLabel(l) + '\n').join(''));
  if (sim.intel !== undefined) {
    files.intel = join(dir, `${name}.intel.txt`);
    writeFileSync(files.intel, sim.intel);
  }
  return files;
}
