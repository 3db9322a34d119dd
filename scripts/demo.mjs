#!/usr/bin/env node
// The default job (`./mommynet` with no arguments): read the bundled sample
// capture into flows and print what an on-call engineer looks at first.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Capture, flowRecords } from '@mommynet/core';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const path = process.argv[2] ?? join(root, 'datasets', 'sample', 'demo.pcap');

const capture = Capture.openFile(path);
const flows = [];
for await (const batch of capture) flows.push(...flowRecords(batch));
const stats = capture.stats();

const count = (key) => {
  const m = new Map();
  for (const f of flows) m.set(key(f), (m.get(key(f)) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]);
};
const talkers = new Map();
for (const f of flows) talkers.set(f.src_ip, (talkers.get(f.src_ip) ?? 0) + f.bytes_fwd + f.bytes_rev);
const ports = new Map();
for (const f of flows) {
  const k = `${f.src_ip} -> ${f.dst_ip}`;
  if (!ports.has(k)) ports.set(k, new Set());
  ports.get(k).add(f.dst_port);
}
const proto = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmp6' };

console.log(`${path}`);
console.log(`  ${stats.packets} packets, ${stats.decoded} decoded, ${stats.skipped} skipped, ${flows.length} flows`);
console.log(`  by protocol:   ${count((f) => proto[f.proto] ?? f.proto).map(([k, n]) => `${k} ${n}`).join(', ')}`);
console.log(`  by state:      ${count((f) => f.conn_state).map(([k, n]) => `${k} ${n}`).join(', ')}`);
console.log('  top talkers (bytes, both directions):');
for (const [ip, bytes] of [...talkers].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`    ${ip.padEnd(16)} ${bytes}`);
console.log('  most destination ports from one source to one host:');
for (const [pair, set] of [...ports].sort((a, b) => b[1].size - a[1].size).slice(0, 3)) console.log(`    ${pair.padEnd(30)} ${set.size} ports`);
console.log('\nEvery flow as JSON lines: ./mommynet flows datasets/sample/demo.pcap');
