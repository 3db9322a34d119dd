#!/usr/bin/env node
/**
 * pnpm bench:output: `mommy-forensics flows` writing the benchmark capture's
 * flows (bench/make-capture.mjs) as JSON lines, CSV and Parquet, each against
 * the same capture read to its last batch in JavaScript without writing
 * anything (`Capture.openFile`, the limit); and `mommy-forensics query`
 * writing the same flows back from a store as JSON lines and CSV (payload
 * prefixes left out, as `flows` leaves them out). Every case is a process of its
 * own, as a user runs it; text goes to /dev/null, Parquet to a file in --out.
 * The cases take turns, run after run, so that the machine's changing load
 * falls on all alike; best of --runs. Results to bench/out/output-<date>.json.
 */
import fs from 'node:fs';
import path from 'node:path';

import { fmtInt, loadCore, log, machine, nodeProcess, parseOptions, removeDb, table, timeInTurns } from './common.mjs';
import { makeCapture, REPO } from './make-capture.mjs';

const SELF = path.join(REPO, 'bench', 'output.mjs');
const CLI = path.join(REPO, 'packages', 'cli', 'bin', 'mommy-forensics.js');

/** The limit, in a child: every batch of the capture received, nothing written. */
async function readChild(file) {
  const { Capture } = await loadCore();
  let flows = 0;
  for await (const batch of Capture.openFile(file)) flows += batch.numRows;
  process.stdout.write(`${flows}\n`);
}

async function main() {
  const opts = parseOptions(process.argv.slice(2), { packets: 5_000_000, runs: 3, out: path.join(REPO, 'bench', 'out') });
  fs.mkdirSync(opts.out, { recursive: true });
  const cap = makeCapture({ packets: opts.packets, out: path.join(opts.out, 'bench.pcap'), log });
  const parquet = path.join(opts.out, 'output.parquet');
  const db = path.join(opts.out, 'output.duckdb');
  removeDb(db);
  log('ingesting the capture for the query cases');
  nodeProcess([CLI, 'ingest', cap.path, '--db', db, '--quiet']);
  const everyFlow = 'SELECT * EXCLUDE (payload_fwd, payload_rev) FROM flows';

  const flows = Number(nodeProcess([SELF, '--read-child', cap.path], { keepStdout: true }).stdout);
  const cases = [
    ['flows in JavaScript, nothing written (the limit)', [SELF, '--read-child', cap.path]],
    ['flows → JSON lines', [CLI, 'flows', cap.path]],
    ['flows → CSV', [CLI, 'flows', cap.path, '--format', 'csv']],
    ['flows → Parquet', [CLI, 'flows', cap.path, '-o', parquet]],
    ['query every flow → JSON lines', [CLI, 'query', everyFlow, '--db', db, '--format', 'jsonl']],
    ['query every flow → CSV', [CLI, 'query', everyFlow, '--db', db, '--format', 'csv']],
  ];
  const { best, all } = timeInTurns(cases, opts.runs, (r) => log(`run ${r + 1} of ${opts.runs}`));
  fs.rmSync(parquet, { force: true });
  removeDb(db);

  const m = machine();
  const rows = cases.map(([name], i) => [name, best[i].toFixed(2), fmtInt(flows / best[i]), (best[0] / best[i]).toFixed(2)]);
  console.log(
    [
      'MommyNet flow output benchmark',
      `date     ${new Date().toISOString()}`,
      `machine  ${m.cpu}, ${m.cores} cores, ${m.os}; node ${m.node}; commit ${m.commit}`,
      `capture  ${path.relative(REPO, cap.path)}: ${fmtInt(opts.packets)} packets, ${fmtInt(flows)} flows; each a process of its own, best of ${opts.runs}`,
      '',
      table(['case', 'seconds', 'flows/s', '÷ limit'], rows, ['l', 'r', 'r', 'r']),
    ].join('\n'),
  );
  const json = path.join(opts.out, `output-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(json, JSON.stringify({ machine: m, flows, cases: cases.map(([name], i) => ({ name, best: best[i], runs: all[i] })) }, null, 2));
  console.log(`\nresults: ${path.relative(REPO, json)}`);
}

const child = process.argv.indexOf('--read-child');
(child >= 0 ? readChild(process.argv[child + 1]) : main()).catch((err) => {
  console.error(`bench:output: ${err.stack ?? err}`);
  process.exitCode = 1;
});
