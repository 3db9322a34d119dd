#!/usr/bin/env node
/**
 * pnpm bench:detect: the detectors' cost.
 *
 * In one run, on the benchmark capture of bench/make-capture.mjs:
 * 1. flows/s through each detector and through all of them (the capture's
 *    batches held in memory, so only detection is timed);
 * 2. ingest with detection on against off (target: on >= 0.7 x off, as
 *    rates, i.e. off/on time >= 0.7); then the same for the corpus
 *    captures ingested one after the other by one command (20 MB: detected
 *    on the ingesting thread, see startDetection). Each ingest runs in a
 *    process of its own, as the command does, off and on taking turns, so
 *    that the machine's changing load falls on both alike;
 * 3. the per-host state at --hosts distinct hosts (default 1 000 000): heap
 *    growth per host after feeding one probe flow per host to every
 *    detector, and after a prune past every window (the bound).
 * Best of --runs. Results to bench/out/detect-<date>.json.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { best, fmtInt, loadCore, log, machine, removeDb, table, parseOptions } from './common.mjs';
import { corpusDir, makeCapture, REPO } from './make-capture.mjs';

const TARGET_RATIO = 0.7;



/** Each detector alone, then all together, over the capture's flow batches held in memory. */
async function perDetector(core, file, runs) {
  log('holding the flow batches in memory');
  const batches = [];
  for await (const b of core.Capture.openFile(file)) batches.push(b);
  const flows = batches.reduce((n, b) => n + b.numRows, 0);
  const rows = [];
  for (const d of [...core.DETECTOR_NAMES, 'all']) {
    const seconds = await best(runs, async () => {
      const session = new core.DetectionSession(d === 'all' ? {} : { only: [d] });
      const t = performance.now();
      for (const b of batches) session.observe(b);
      session.finish();
      return (performance.now() - t) / 1000;
    });
    rows.push([d, seconds.toFixed(3), fmtInt(flows / seconds)]);
  }
  return { flows, rows };
}

const SELF = fileURLToPath(import.meta.url);

/** Ingest of `files` as the CLI does it: detection (on worker threads beside the append, or on this thread for small inputs: startDetection) over all the files. */
async function ingestSeconds(core, files, db, detect) {
  removeDb(db);
  const store = await core.openStore(db);
  const t = performance.now();
  const detection = detect ? core.startDetection(core.setUpDetection(core.DEFAULT_DETECTION), { inputBytes: core.captureBytes(files) }) : undefined;
  for (const file of files) {
    const r = await core.ingestCapture(store, file, detection ? { onBatch: (b) => detection.observe(b) } : {});
    if (detection) await core.storeAlerts(store, r.captureId, await detection.finish());
  }
  await detection?.close();
  const s = (performance.now() - t) / 1000;
  store.close();
  return s;
}

/** One probe flow (a SYN to port 22) from each of `hosts` hosts, written and read in chunks through the real capture path. */
async function hostState(core, hosts) {
  const { PcapWriter, tcpFrame, TCP } = await import(path.join(REPO, 'packages', 'core', 'dist', 'synth', 'index.js'));
  const chunk = 100_000;
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'mommy-detect-'));
  const session = new core.DetectionSession();
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let start = 0; start < hosts; start += chunk) {
    const w = new PcapWriter();
    for (let i = start; i < Math.min(hosts, start + chunk); i++)
      w.add(1_700_000_000_000_000 + i, tcpFrame({ src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dst: '192.0.2.1', srcPort: 40000, dstPort: 22, flags: TCP.SYN }));
    const file = path.join(dir, 'hosts.pcap');
    fs.writeFileSync(file, w.toBuffer());
    for await (const b of core.Capture.openFile(file, { maxFlows: chunk + 1 })) session.observe(b);
  }
  global.gc?.();
  const held = process.memoryUsage().heapUsed - before;
  // The session is used after the reading, so the collector cannot free it before.
  const evicted = session.evictedKeys;
  const alerts = session.finish().length;
  fs.rmSync(dir, { recursive: true, force: true });
  return { heldBytes: held, bytesPerHost: held / hosts, evictedKeys: evicted, alerts };
}

async function main() {
  const opts = parseOptions(process.argv.slice(2), { packets: 5_000_000, runs: 3, hosts: 1_000_000, out: path.join(REPO, 'bench', 'out') });
  const core = await loadCore();
  fs.mkdirSync(opts.out, { recursive: true });
  const cap = makeCapture({ packets: opts.packets, out: path.join(opts.out, 'bench.pcap'), log });
  const { flows, rows } = await perDetector(core, cap.path, opts.runs);
  // The held batches are garbage now: free them before the ingest processes start.
  global.gc?.();

  log('ingest with and without detection');
  const db = path.join(opts.out, 'detect.duckdb');
  const single = ingestTurns([cap.path], db, opts.runs);
  // Many small files, as a directory of rotated captures: the corpus itself.
  const corpus = fs.readdirSync(corpusDir()).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(corpusDir(), f));
  log(`ingest of the ${corpus.length} corpus captures with and without detection`);
  const many = ingestTurns(corpus, db, opts.runs);
  removeDb(db);
  const [off, on, manyOff, manyOn] = [single.off, single.on, many.off, many.on].map((times) => Math.min(...times));
  log(`per-host state at ${fmtInt(opts.hosts)} hosts`);
  const state = await hostState(core, opts.hosts);

  const m = machine();
  const ratio = off / on;
  console.log(
    [
      'MommyNet detection benchmark',
      `date     ${new Date().toISOString()}`,
      `machine  ${m.cpu}, ${m.cores} cores, ${m.os}; node ${m.node}; commit ${m.commit}`,
      `capture  ${path.relative(REPO, cap.path)}: ${fmtInt(opts.packets)} packets, ${fmtInt(flows)} flows; best of ${opts.runs}`,
      '',
      table(['detector', 'seconds', 'flows/s'], rows, ['l', 'r', 'r']),
      '',
      `ingest, detection off: ${off.toFixed(2)} s; on: ${on.toFixed(2)} s; on/off rate ${ratio.toFixed(2)}`,
      `ingest of the ${corpus.length} corpus captures, one command: detection off ${manyOff.toFixed(2)} s; on ${manyOn.toFixed(2)} s; on/off rate ${(manyOff / manyOn).toFixed(2)}`,
      `per-host state at ${fmtInt(opts.hosts)} hosts (one probe flow each, bound ${fmtInt(core.DEFAULT_DETECTION.maxKeysPerDetector)} keys a table): ` +
        `${fmtInt(state.heldBytes / 1e6)} MB of heap, ${fmtInt(state.bytesPerHost)} bytes per host, ${fmtInt(state.evictedKeys)} keys evicted`,
      '',
      `target: ${ratio >= TARGET_RATIO ? 'PASS' : 'MISS'}  ingest with detection >= ${TARGET_RATIO} x without: ${ratio.toFixed(2)}`,
    ].join('\n'),
  );
  const json = path.join(opts.out, `detect-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    json,
    JSON.stringify({ machine: m, flows, detectors: rows, off, on, ratio, corpusFiles: corpus.length, manyOff, manyOn, runs: { single, many }, state }, null, 2),
  );
}

/** `runs` ingests of `files` with detection off and as many with it on, taking turns, each in a process of its own; their seconds. */
function ingestTurns(files, db, runs) {
  const times = { off: [], on: [] };
  for (let r = 1; r <= runs; r++) {
    for (const mode of ['off', 'on']) {
      const out = execFileSync(process.execPath, [SELF, '--ingest-child', mode, db, ...files], { encoding: 'utf8', maxBuffer: 1 << 20 });
      times[mode].push(JSON.parse(out).seconds);
      log(`run ${r}/${runs} detection ${mode.padEnd(3)} ${times[mode].at(-1).toFixed(2)} s`);
    }
  }
  return times;
}

/** The child of ingestTurns: one ingest, its seconds as JSON on stdout. */
async function ingestChild([mode, db, ...files]) {
  const core = await loadCore();
  console.log(JSON.stringify({ seconds: await ingestSeconds(core, files, db, mode === 'on') }));
}

const childAt = process.argv.indexOf('--ingest-child');
(childAt >= 0 ? ingestChild(process.argv.slice(childAt + 1)) : main()).catch((err) => {
  console.error(`bench:detect: ${err.stack ?? err}`);
  process.exitCode = 1;
});
