#!/usr/bin/env node
/**
 * pnpm bench:ingest: captures into the DuckDB store.
 *
 * In one run, on the benchmark capture of bench/make-capture.mjs:
 * 1. flows only: Capture.openFile, every batch received (the capture engine alone);
 * 2. ingest: ingestCapture into a new database file (hashing, flows, DuckDB);
 *    and their ratio (target: ingest >= 0.8 x flows only);
 * 3. the same packets as --files captures (a sensor's rotated files), ingested
 *    one by one (ingestCapture each, every file's last flows committed on
 *    their own) and by ingestCaptures, which reads each next file while the
 *    one before is appended and commits the files' flows a row group at a
 *    time; the two take turns; with the size of the database each leaves;
 *    then the same files ingested again (a sensor's directory, by cron):
 *    touched (hashed, found stored) against unchanged (skipped unread);
 *    then --small captures of 100 packets each (a sensor rotating every few
 *    seconds): ingestCaptures against reading them (flows only), per file;
 * 4. the store grown to >= --flows rows (copies of the ingested flows, each
 *    shifted by a day), then every saved query, with its defaults, through
 *    the same read-only session `mommy-forensics query --saved` uses
 *    (target: each under 1 s).
 * Each measurement is the best of --runs. Results go to bench/out/ingest-<date>.json.
 */
import fs from 'node:fs';
import path from 'node:path';

import { best, fmtInt, loadCore, log, machine, removeDb, table, parseOptions } from './common.mjs';
import { makeCapture, REPO } from './make-capture.mjs';
import { splitCapture } from './split-capture.mjs';

const TARGET_RATIO = 0.8;
const TARGET_QUERY_SECONDS = 1;



async function main() {
  const opts = parseOptions(process.argv.slice(2), { packets: 5_000_000, runs: 3, files: 16, small: 1000, flows: 10_000_000, out: path.join(REPO, 'bench', 'out') });
  const core = await loadCore();
  fs.mkdirSync(opts.out, { recursive: true });
  const cap = makeCapture({ packets: opts.packets, out: path.join(opts.out, 'bench.pcap'), log });
  const packets = opts.packets;
  const db = path.join(opts.out, 'ingest.duckdb');

  log('flows only');
  const flowsOnly = await best(opts.runs, async () => {
    const t = performance.now();
    const c = core.Capture.openFile(cap.path);
    for await (const b of c) b.numRows;
    return (performance.now() - t) / 1000;
  });

  log('ingest');
  let flows = 0;
  const ingest = await best(opts.runs, async () => {
    removeDb(db);
    const store = await core.openStore(db);
    const t = performance.now();
    const r = await core.ingestCapture(store, cap.path);
    const s = (performance.now() - t) / 1000;
    store.close();
    if (r.status !== 'complete') throw new Error(`ingest ended ${r.status}: ${r.error?.message}`);
    flows = r.flows;
    return s;
  });

  log(`${opts.files} captures`);
  const parts = splitCapture(cap.path, opts.files, { packets, outDir: path.join(opts.out, `split-${opts.files}`), log });
  const manyDb = path.join(opts.out, 'ingest-many.duckdb');
  /** Seconds and database bytes of ingesting `files` one by one (ingestCapture each) or together (ingestCaptures). */
  const ingestMany = async (files, together) => {
    removeDb(manyDb);
    const store = await core.openStore(manyDb);
    const t = performance.now();
    const results = [];
    if (together) for await (const r of core.ingestCaptures(store, files)) results.push(r);
    else for (const file of files) results.push(await core.ingestCapture(store, file));
    const s = (performance.now() - t) / 1000;
    store.close();
    const bad = results.find((r) => r.status !== 'complete');
    if (bad) throw new Error(`${bad.path}: ingest ended ${bad.status}: ${bad.error?.message}`);
    return { seconds: s, bytes: fs.statSync(manyDb).size };
  };
  const many = { oneByOne: Infinity, together: Infinity, oneByOneBytes: 0, togetherBytes: 0 };
  for (let r = 0; r < opts.runs; r++) {
    const one = await ingestMany(parts, false);
    const together = await ingestMany(parts, true);
    many.oneByOne = Math.min(many.oneByOne, one.seconds);
    many.together = Math.min(many.together, together.seconds);
    many.oneByOneBytes = one.bytes;
    many.togetherBytes = together.bytes;
  }

  log(`${opts.files} captures ingested again`);
  /** Seconds to ingest `parts` again into the database that holds them, every one skipped. */
  const ingestAgain = async () => {
    const store = await core.openStore(manyDb);
    const t = performance.now();
    for await (const r of core.ingestCaptures(store, parts)) if (r.status !== 'skipped') throw new Error(`${r.path}: ingested again (${r.status})`);
    const s = (performance.now() - t) / 1000;
    store.close();
    return s;
  };
  const again = { touched: Infinity, unchanged: Infinity };
  for (let r = 0; r < opts.runs; r++) {
    const now = new Date();
    for (const part of parts) fs.utimesSync(part, now, now);
    again.touched = Math.min(again.touched, await ingestAgain()); // notes the new times
    again.unchanged = Math.min(again.unchanged, await ingestAgain());
  }

  log(`${opts.small} small captures`);
  const smallParts = splitCapture(cap.path, opts.small, { packets: opts.small * 100, outDir: path.join(opts.out, `split-small-${opts.small}`), log });
  const smallFlowsOnly = async () => {
    const t = performance.now();
    for (const part of smallParts) for await (const b of core.Capture.openFile(part)) b.numRows;
    return (performance.now() - t) / 1000;
  };
  const small = { flowsOnly: Infinity, ingest: Infinity };
  for (let r = 0; r < opts.runs; r++) {
    small.flowsOnly = Math.min(small.flowsOnly, await smallFlowsOnly());
    small.ingest = Math.min(small.ingest, (await ingestMany(smallParts, true)).seconds);
  }
  removeDb(manyDb);

  const copies = Math.max(1, Math.ceil(opts.flows / flows));
  log(`growing the store to ${fmtInt(copies * flows)} flows (${copies} copies, each a day later)`);
  let t = performance.now();
  {
    const store = await core.openStore(db);
    await store.run(
      `INSERT INTO flows SELECT c.k + 1 AS capture_id, f.* EXCLUDE (capture_id)
         REPLACE (f.start_time + to_days(c.k) AS start_time, f.end_time + to_days(c.k) AS end_time)
       FROM flows f, range(1, $copies) c(k) WHERE f.capture_id = 1`,
      { copies },
    );
    const [{ n }] = await store.all('SELECT count(*) AS n FROM flows');
    flows = Number(n);
    store.close();
  }
  const growSeconds = (performance.now() - t) / 1000;

  log('saved queries');
  const session = await core.ReadOnlySession.open({ db });
  const drain = async (result) => {
    let rows = 0;
    for (let c = await result.fetchChunk(); c && c.rowCount; c = await result.fetchChunk()) rows += c.rowCount;
    return rows;
  };
  const busiest = await session.streamSaved(core.savedQuery('top_talkers'), { limit: '1' });
  const host = String((await busiest.fetchChunk()).getRows()[0][0]);
  const queries = [];
  for (const q of core.SAVED_QUERIES) {
    const given = q.parameters.some((p) => p.name === 'host' && p.default === undefined) ? { host } : {};
    let rows = 0;
    const seconds = await best(opts.runs, async () => {
      const start = performance.now();
      rows = await drain(await session.streamSaved(q, given));
      return (performance.now() - start) / 1000;
    });
    queries.push({ name: q.name, given, rows, seconds });
  }
  session.close();

  const m = machine();
  const ratio = flowsOnly / ingest;
  const pps = (s) => packets / s;
  const out = [
    'MommyNet ingest benchmark',
    `date     ${new Date().toISOString()}`,
    `machine  ${m.cpu}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}`,
    `node     ${m.node}; commit ${m.commit}`,
    `capture  ${path.relative(REPO, cap.path)}: ${fmtInt(packets)} packets, ${fmtInt(fs.statSync(cap.path).size / 1e6)} MB`,
    `method   best of ${opts.runs} runs; page cache warm`,
    '',
    table(
      ['stage', 'seconds', 'packets/s', 'flows/s'],
      [
        ['flows only (Capture.openFile)', flowsOnly.toFixed(2), fmtInt(pps(flowsOnly)), fmtInt(flows / copies / flowsOnly)],
        ['ingest into DuckDB (ingestCapture)', ingest.toFixed(2), fmtInt(pps(ingest)), fmtInt(flows / copies / ingest)],
        [`${opts.files} captures, one by one (ingestCapture)`, many.oneByOne.toFixed(2), fmtInt(pps(many.oneByOne)), ''],
        [`${opts.files} captures, together (ingestCaptures)`, many.together.toFixed(2), fmtInt(pps(many.together)), ''],
        [`${opts.files} captures again, touched (hashed)`, again.touched.toFixed(3), '', ''],
        [`${opts.files} captures again, unchanged (not read)`, again.unchanged.toFixed(3), '', ''],
        [`${opts.small} captures of 100 packets, flows only`, small.flowsOnly.toFixed(2), fmtInt((opts.small * 100) / small.flowsOnly), ''],
        [`${opts.small} captures of 100 packets, ingestCaptures`, small.ingest.toFixed(2), fmtInt((opts.small * 100) / small.ingest), ''],
      ],
      ['l', 'r', 'r', 'r'],
    ),
    '',
    `ingest / flows only: ${ratio.toFixed(2)}`,
    `${opts.files} captures, one by one / together: ${(many.oneByOne / many.together).toFixed(2)}; ` +
      `database ${fmtInt(many.oneByOneBytes / 1e6)} MB one by one, ${fmtInt(many.togetherBytes / 1e6)} MB together`,
    `${opts.files} captures ingested again: touched / unchanged: ${(again.touched / again.unchanged).toFixed(0)}`,
    `${opts.small} captures of 100 packets: ${((small.ingest / opts.small) * 1000).toFixed(1)} ms each to ingest, ` +
      `${((small.flowsOnly / opts.small) * 1000).toFixed(1)} ms each to read (ingest / flows only: ${(small.flowsOnly / small.ingest).toFixed(2)})`,
    '',
    `saved queries over ${fmtInt(flows)} flows (store grown in ${growSeconds.toFixed(1)} s), defaults${host ? `, host = ${host}` : ''}:`,
    table(['query', 'rows', 'seconds'], queries.map((q) => [q.name, fmtInt(q.rows), q.seconds.toFixed(3)]), ['l', 'r', 'r']),
    '',
    'targets:',
    `  ${ratio >= TARGET_RATIO ? 'PASS' : 'MISS'}  ingest >= ${TARGET_RATIO} x flows only: ${ratio.toFixed(2)}`,
    ...queries.map(
      (q) => `  ${q.seconds < TARGET_QUERY_SECONDS ? 'PASS' : 'MISS'}  ${q.name} under ${TARGET_QUERY_SECONDS} s at ${fmtInt(flows)} flows: ${q.seconds.toFixed(3)} s`,
    ),
  ].join('\n');
  console.log(out);
  const json = path.join(opts.out, `ingest-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(json, JSON.stringify({ machine: m, capture: cap, flowsOnly, ingest, ratio, files: opts.files, many, again, small: { files: opts.small, ...small }, flows, queries }, null, 2));
  console.log(`\nresults: ${path.relative(REPO, json)}`);
  removeDb(db);
}

main().catch((err) => {
  console.error(`bench:ingest: ${err.stack ?? err}`);
  process.exitCode = 1;
});
