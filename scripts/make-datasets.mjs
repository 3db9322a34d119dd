#!/usr/bin/env node
// Writes the captures in datasets/ that the project generates itself.
// Deterministic: the same seed gives byte-identical files, so they are
// committed and rebuilt only to change them (`pnpm datasets`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { simulate, writeSimulation } from '@mommynet/core';
import { icmpPing, interleave, PcapWriter, randomBytes, seededRandom, TCP, tcpFrame, tcpSession, udpExchange } from '@mommynet/core/synth';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const enc = new TextEncoder();

/** A small network's afternoon: web and DNS clients, pings, and one port scan. */
function demo() {
  const random = seededRandom(20261122);
  const pick = (n) => Math.floor(random() * n);
  const conversations = [];
  for (let i = 0; i < 60; i++) {
    const client = `10.0.1.${10 + pick(40)}`;
    const https = random() < 0.5;
    const path = ['/', '/login', '/api/v1/items', '/static/app.js'][pick(4)];
    conversations.push(
      tcpSession({
        client,
        server: https ? '10.0.0.20' : '10.0.0.10',
        clientPort: 32768 + i * 7,
        serverPort: https ? 443 : 80,
        exchanges: [
          { fromClient: true, payload: https ? randomBytes(random, 200 + pick(300)) : enc.encode(`GET ${path} HTTP/1.1\r\nHost: intranet\r\n\r\n`) },
          { fromClient: false, payload: randomBytes(random, 400 + pick(1000)) },
        ],
      }),
    );
  }
  for (let i = 0; i < 40; i++) {
    const name = ['intranet', 'mail', 'updates.example.org', 'time.example.org'][pick(4)];
    conversations.push(
      udpExchange({
        client: `10.0.1.${10 + pick(40)}`,
        server: '10.0.0.53',
        clientPort: 40000 + i,
        serverPort: 53,
        requests: [enc.encode(`query ${name}`)],
        responses: [enc.encode(`answer ${name} 10.0.0.${pick(250)}`)],
      }),
    );
  }
  for (let i = 0; i < 5; i++) conversations.push(icmpPing({ client: `10.0.1.${10 + i}`, server: '10.0.0.1', identifier: 100 + i, count: 4 }));
  // 203.0.113.9 probes the web server's first 200 ports: closed ports answer
  // with RST, port 80 and 443 with SYN-ACK.
  const scan = [];
  for (let port = 1; port <= 200; port++) {
    const probe = { src: '203.0.113.9', dst: '10.0.0.10', srcPort: 61000, dstPort: port };
    scan.push(tcpFrame({ ...probe, flags: TCP.SYN }));
    scan.push(tcpFrame({ src: probe.dst, dst: probe.src, srcPort: port, dstPort: probe.srcPort, flags: port === 80 ? TCP.SYN | TCP.ACK : TCP.RST | TCP.ACK }));
  }
  conversations.push(scan);
  const w = new PcapWriter();
  for (const { tsMicros, frame } of interleave(conversations, random, Date.UTC(2026, 10, 1, 14, 0, 0) * 1000, 5_000)) w.add(tsMicros, frame);
  return w.toBuffer();
}

const out = join(root, 'datasets', 'sample', 'demo.pcap');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, demo());
console.log(`wrote ${out}`);

// The simulator's captures (docs/simulate.md): normal traffic only, to train
// models on, and a second capture of the same office with every attack at
// medium intensity, with its labels and indicator list. Different seeds, so
// that a model is not tested on the traffic it learnt.
const sim = join(root, 'datasets', 'sim');
for (const [name, options] of [
  ['benign', { seed: 20260105, attacks: [] }],
  ['mixed', { seed: 20260106 }],
]) {
  const files = writeSimulation(simulate({ ...options, captureName: `${name}.pcap` }), sim, name);
  console.log(`wrote ${Object.values(files).join(', ')}`);
}
