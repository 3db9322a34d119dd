#!/usr/bin/env node
/**
 * pnpm bench:cli: how long `mommy-forensics` takes to start and answer,
 * each command a process of its own as a user runs it, against Node's own
 * start (`node -e 0`) measured in the same run. Commands load only what
 * they need (a command's module when it is the one run; the store's read
 * side without Arrow, onnxruntime or the addon), so the figures show what
 * each one costs on top of Node. The commands take turns, run after run,
 * so that the machine's changing load falls on all alike; best of --runs.
 * Results to bench/out/cli-<date>.json.
 */
import fs from 'node:fs';
import path from 'node:path';

import { log, machine, nodeProcess, parseOptions, removeDb, table, timeInTurns } from './common.mjs';
import { REPO } from './make-capture.mjs';

const CLI = path.join(REPO, 'packages', 'cli', 'bin', 'mommy-forensics.js');
const SAMPLE = path.join(REPO, 'datasets', 'sample', 'demo.pcap');

async function main() {
  const opts = parseOptions(process.argv.slice(2), { runs: 10, out: path.join(REPO, 'bench', 'out') });
  fs.mkdirSync(opts.out, { recursive: true });
  const db = path.join(opts.out, 'cli.duckdb');
  removeDb(db);
  log(`ingesting ${path.relative(REPO, SAMPLE)} into ${path.relative(REPO, db)}`);
  nodeProcess([CLI, 'ingest', SAMPLE, '--db', db, '--quiet']);
  const busiest = nodeProcess(
    [CLI, 'query', 'SELECT community_id FROM flows WHERE community_id IS NOT NULL ORDER BY pkts_fwd + pkts_rev DESC LIMIT 1', '--db', db, '--format', 'jsonl'],
    { keepStdout: true },
  );
  const communityId = JSON.parse(busiest.stdout).community_id;
  const extracted = path.join(opts.out, 'cli-extract.pcap');

  const cases = [
    ['node -e 0 (baseline)', ['-e', '0']],
    ['--help', [CLI, '--help']],
    ['queries', [CLI, 'queries']],
    ['query "SELECT count(*) FROM flows"', [CLI, 'query', 'SELECT count(*) FROM flows', '--db', db]],
    ['query --saved top_talkers', [CLI, 'query', '--saved', 'top_talkers', '--db', db]],
    ['alerts', [CLI, 'alerts', '--db', db]],
    ['flows demo.pcap (150 KB)', [CLI, 'flows', SAMPLE]],
    ['extract (its busiest flow)', [CLI, 'extract', communityId, '--db', db, '-o', extracted]],
  ];
  const { best, all } = timeInTurns(cases, opts.runs);
  removeDb(db);
  fs.rmSync(extracted, { force: true });

  const m = machine();
  const rows = cases.map(([name], i) => [name, best[i].toFixed(3), (best[i] / best[0]).toFixed(1)]);
  console.log(
    [
      'MommyNet command-line start-up benchmark',
      `date     ${new Date().toISOString()}`,
      `machine  ${m.cpu}, ${m.cores} cores, ${m.os}; node ${m.node}; commit ${m.commit}`,
      `each a process of its own, best of ${opts.runs}`,
      '',
      table(['command', 'seconds', 'x node -e 0'], rows, ['l', 'r', 'r']),
    ].join('\n'),
  );
  const json = path.join(opts.out, `cli-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(json, JSON.stringify({ machine: m, cases: cases.map(([name], i) => ({ name, best: best[i], runs: all[i] })) }, null, 2));
  console.log(`\nresults: ${path.relative(REPO, json)}`);
}

main().catch((err) => {
  console.error(`bench:cli: ${err.stack ?? err}`);
  process.exitCode = 1;
});
