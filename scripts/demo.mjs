#!/usr/bin/env node
// The default job (`./mommynet` with no arguments): ingest the bundled
// sample capture into ./mommy.duckdb and ask it the first questions of an
// investigation, showing each command so the next ones are easy to type.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const cli = join(root, 'packages', 'cli', 'bin', 'mommy-forensics.js');
const sample = join('datasets', 'sample', 'demo.pcap');

function run(args) {
  const shown = args.map((a) => (/[\s*'"]/.test(a) ? `"${a}"` : a)).join(' ');
  process.stdout.write(`\n$ mommy-forensics ${shown}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run(['ingest', sample]);
run(['query', '--saved', 'top_talkers', '--param', 'limit=5']);
run(['query', '--saved', 'port_scan_candidates']);
run(['query', "SELECT conn_state, count(*) AS flows FROM flows GROUP BY ALL ORDER BY flows DESC"]);
run(['alerts']);
run(['query', 'SELECT src_ip, dst_ip, dst_port, conn_state, round(anomaly_score::DOUBLE, 3) AS anomaly_score FROM flows ORDER BY anomaly_score DESC LIMIT 5']);
process.stdout.write('\nMore: mommy-forensics queries (saved queries), mommy-forensics --help\n');
