/**
 * The store: ingest writes exactly the capture engine's flows (every column
 * of every row), knows what it already has, survives kill -9, and says who
 * holds a locked database.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, createReadStream, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import {
  CaptureError,
  FLOW_COLUMNS,
  fileDigests,
  fileSha256,
  ingestCapture,
  ingestCaptures,
  type IngestProgress,
  type IngestResult,
  OpenedCapture,
  openStore,
  STORE_SCHEMA_VERSION,
  type Store,
} from '@mommynet/core';
import { arpFrame, ethernetFrame, udpExchange, udpFrame } from '@mommynet/core/synth';
import { afterAll, describe, expect, it } from 'vitest';

import { CLI, runCli } from './support/cli.js';
import { CORPUS_PCAPS, corpusFiles, haveCorpus, REPO_ROOT } from './support/corpus.js';
import { readFlows } from './support/flows.js';
import { writeCapture } from './support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'mommy-store-'));
let n = 0;
const dbPath = () => join(dir, `s${n++}.duckdb`);
const sample = join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap');
const stores: Store[] = [];
afterAll(() => stores.forEach((s) => s.close()));
async function open(path = dbPath()) {
  const s = await openStore(path);
  stores.push(s);
  return s;
}

/** Every stored flow and capture, without the times of the ingest itself. */
async function contents(store: Store) {
  const flows = await store.all(`SELECT * EXCLUDE (capture_id) FROM flows ORDER BY capture_id, rowid`);
  const caps = await store.all(`SELECT capture_id, path, size, sha256, status, packets, flows FROM captures ORDER BY capture_id`);
  return { flows, caps };
}

/**
 * A database as store schema `version` left it (`downgrade` undoes what came after, in a store
 * opened by this version), opened again by this version: which brings it up to date.
 */
async function reopenedFromSchema(version: number, downgrade: (old: Store) => Promise<void>): Promise<Store> {
  const path = dbPath();
  const old = await open(path);
  await downgrade(old);
  await old.run(`UPDATE mommynet_meta SET value = '${version}' WHERE key = 'schema_version'`);
  old.close();
  stores.splice(stores.indexOf(old), 1);
  const store = await open(path);
  expect(await store.all(`SELECT value FROM mommynet_meta WHERE key = 'schema_version'`)).toEqual([{ value: String(STORE_SCHEMA_VERSION) }]);
  return store;
}

/** Database values in the shape flowRecords gives (numbers, µs, bytes). */
function normalize(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}

async function expectStoredEqualsEngine(store: Store, path: string, captureId: number) {
  const { flows } = await readFlows(path);
  const rows = await store.all(
    `SELECT ${FLOW_COLUMNS.map((c) => (c.type === 'timestamp_us' ? `epoch_us(${c.name}) AS ${c.name}` : c.name)).join(', ')}
     FROM flows WHERE capture_id = $id ORDER BY rowid`,
    { id: captureId },
  );
  expect(rows).toHaveLength(flows.length);
  rows.forEach((row, i) => {
    const want = Object.fromEntries(Object.entries(flows[i]!).map(([k, v]) => [k, normalize(v)]));
    const got = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, normalize(v)]));
    expect(got).toEqual(want);
  });
}

describe('ingest', () => {
  it('stores every column of every flow exactly as the engine produced it', async () => {
    const store = await open();
    const r = await ingestCapture(store, sample);
    expect(r).toMatchObject({ status: 'complete', captureId: 1, flows: 305, packets: 1120 });
    await expectStoredEqualsEngine(store, sample, 1);
    const [cap] = await store.all(`SELECT status, packets, decoded, flows, format, link_types, sha256, size FROM captures`);
    const sha = createHash('sha256');
    for await (const chunk of createReadStream(sample)) sha.update(chunk as Buffer);
    expect(cap).toMatchObject({ status: 'complete', packets: 1120n, decoded: 1120n, flows: 305n, format: 'pcap', link_types: [1], sha256: sha.digest('hex') });
  });

  it.skipIf(!haveCorpus).each(corpusFiles(CORPUS_PCAPS).filter((f) => /malcolm_DNS|ndpi_synscan|cs_http_espn/.test(f)))(
    'matches the engine on %s (nulls, IPv6, pcapng)',
    async (path) => {
      const store = await open();
      const r = await ingestCapture(store, path);
      await expectStoredEqualsEngine(store, path, r.captureId!);
    },
  );

  it('stores ARP exchanges, null protocol and Community ID, also in a database of store schema 2', async () => {
    const t0 = 1_700_000_000_000_000;
    const arp = writeCapture([
      { tsMicros: t0, frame: arpFrame({ op: 'request', sender: '192.168.9.2', target: '192.168.9.1' }) },
      { tsMicros: t0 + 300, frame: arpFrame({ op: 'reply', sender: '192.168.9.1', target: '192.168.9.2' }) },
      { tsMicros: t0 + 900, frame: arpFrame({ op: 'request', sender: '192.168.9.2', target: '192.168.9.77' }) },
    ]);
    // A database of schema 2 held proto and community_id NOT NULL.
    const store = await reopenedFromSchema(2, async (old) => {
      await old.run('ALTER TABLE flows ALTER COLUMN proto SET NOT NULL');
      await old.run('ALTER TABLE flows ALTER COLUMN community_id SET NOT NULL');
    });
    const r = await ingestCapture(store, arp);
    expect(r).toMatchObject({ status: 'complete', flows: 2, packets: 3 });
    await expectStoredEqualsEngine(store, arp, r.captureId!);
    const rows = await store.all(`SELECT dst_ip, proto, community_id, conn_state, pkts_fwd, pkts_rev, bytes_fwd FROM flows ORDER BY dst_ip`);
    expect(rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, normalize(v)])))).toEqual([
      { dst_ip: '192.168.9.1', proto: null, community_id: null, conn_state: 'SF', pkts_fwd: 1, pkts_rev: 1, bytes_fwd: 28 },
      { dst_ip: '192.168.9.77', proto: null, community_id: null, conn_state: 'S0', pkts_fwd: 1, pkts_rev: 0, bytes_fwd: 28 },
    ]);
  });

  it('stores Community IDs uncompressed, addresses as DuckDB compresses them', async () => {
    const store = await open();
    await ingestCapture(store, sample);
    await store.run('CHECKPOINT');
    const storage = await store.all(
      `SELECT column_name, list(DISTINCT compression ORDER BY compression) AS compression FROM pragma_storage_info('flows')
       WHERE column_name IN ('community_id', 'src_ip') AND segment_type = 'VARCHAR' GROUP BY ALL ORDER BY ALL`,
    );
    expect(storage).toEqual([
      { column_name: 'community_id', compression: ['Uncompressed'] },
      { column_name: 'src_ip', compression: ['Dictionary'] },
    ]);
  });

  it('skips a file already ingested, and --force replaces it under the same capture_id', async () => {
    const store = await open();
    await ingestCapture(store, sample);
    const copy = join(dir, 'renamed.pcap');
    copyFileSync(sample, copy);
    const again = await ingestCapture(store, copy);
    expect(again).toMatchObject({ status: 'skipped', captureId: 1, note: 'already ingested as capture 1' });
    const forced = await ingestCapture(store, copy, { force: true });
    expect(forced).toMatchObject({ status: 'complete', captureId: 1 });
    const [c] = await store.all(`SELECT count(*) AS flows, count(DISTINCT capture_id) AS captures FROM flows`);
    expect(c).toEqual({ flows: 305n, captures: 1n });
  });

  it('marks a damaged file, keeping the flows before the damage', async () => {
    const store = await open();
    const bytes = Buffer.from((await import('node:fs')).readFileSync(sample));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const r = await ingestCapture(store, cut);
    expect(r.status).toBe('damaged');
    const [c] = await store.all(`SELECT status, error, flows FROM captures`);
    expect(c!.status).toBe('damaged');
    expect(c!.error).toMatch(/cut\.pcap: file ends inside a record \(\d+ bytes announced\) \(at byte \d+\)/);
    expect(Number(c!.flows)).toBe(r.flows);
    expect(r.flows).toBeGreaterThan(300);
  });

  it('reports progress as the part of the file read, a gzipped file\'s compressed bytes', async () => {
    // A flow every 100 s, so flows end (idle) while the file is read, with payloads that do not
    // compress: the gzipped file is several times what the reader and its read-ahead hold, and the
    // capture notes how far it is every 65 536 packets.
    let seed = 7;
    const noise = (n: number) => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    const frames = Array.from({ length: 150_000 }, (_, i) =>
      udpFrame({ src: `10.4.${(i >> 8) & 255}.${i & 255}`, dst: '192.0.2.9', srcPort: 1024 + (i >> 16), dstPort: 9, payload: noise(64) }),
    );
    const plain = writeCapture(frames, 1_700_000_000_000_000, 100_000_000);
    const gz = join(dir, 'progress.pcap.gz');
    writeFileSync(gz, gzipSync((await import('node:fs')).readFileSync(plain)));
    for (const file of [plain, gz]) {
      const seen: IngestProgress[] = [];
      const r = await ingestCapture(await open(), file, { batchRows: 4096, onProgress: (p) => seen.push(p) });
      expect(r.status, file).toBe('complete');
      expect(seen.length, file).toBeGreaterThan(10);
      const done = seen.map((p) => p.fileBytesRead);
      expect(done, file).toEqual([...done].sort((a, b) => a - b));
      expect(done.every((d) => d <= seen[0]!.size), file).toBe(true);
      expect(done.some((d) => d > 0 && d < seen[0]!.size), file).toBe(true); // reported while reading, not only at the end
      expect(done.at(-1), file).toBe(seen[0]!.size);
      expect(seen.at(-1)!.bytesRead, file).toBe(statSync(plain).size); // the stream: what the capture holds
    }
  });
});

describe('several captures', () => {
  // Three captures whose flows all end at their end (a flow every 10 ms, idle timeouts far away),
  // so each file's flows come in batches only once its thread has read it through.
  const captures = [0, 1, 2].map((k) =>
    writeCapture(Array.from({ length: 3000 }, (_, i) => udpFrame({ src: `10.${k}.${i >> 8}.${i & 255}`, dst: '192.0.2.1', srcPort: 5000, dstPort: 53 })), 1_700_000_000_000_000 + k * 1e9, 10_000),
  );

  it('stores what ingesting them one by one stores, and reads each next file while the one before is appended', async () => {
    const one = await open();
    for (const f of captures) await ingestCapture(one, f, { batchRows: 1000 });
    const events: string[] = [];
    const all = await open();
    const results: IngestResult[] = [];
    for await (const r of ingestCaptures(all, captures, {
      batchRows: 1000,
      onFileStart: (_path, i) => events.push(`start ${i}`),
      onFileRead: () => events.push('read'),
      onBatch: () => void events.push('batch'),
    })) results.push(r);
    expect(results.map((r) => [r.status, r.flows])).toEqual([['complete', 3000], ['complete', 3000], ['complete', 3000]]);
    expect(await contents(all)).toEqual(await contents(one));
    // Each file's flows (3 batches) are made once its thread has read it through; the next file is
    // opened once that thread has finished, which the file's last batch at the latest shows: before
    // that batch is appended, not after.
    const perFile = events.join(' ').split(/start \d /).slice(1).map((e) => e.trim().split(' '));
    expect(perFile).toHaveLength(3);
    for (const e of perFile) {
      expect(e.filter((x) => x === 'batch')).toHaveLength(3);
      expect(e.filter((x) => x === 'read')).toHaveLength(1);
      expect(e.indexOf('read')).toBeLessThan(e.lastIndexOf('batch'));
    }
  });

  it('reads an opened capture ahead of its ingest, and a file that cannot be opened fails in its turn', async () => {
    const ahead = OpenedCapture.open(captures[0]!, { batchRows: 1000 });
    const opened = ahead.opened;
    if (!('capture' in opened)) throw new Error('a new file is read');
    const { capture, digests } = opened;
    const t0 = performance.now();
    while (!capture.info().finished && performance.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 5));
    expect(capture.info().finished).toBe(true); // no batch taken yet: all three wait in its queue
    expect((await digests).sha256).toBe(await fileSha256(captures[0]!));
    const store = await open();
    expect(await ingestCapture(store, ahead)).toMatchObject({ status: 'complete', flows: 3000, packets: 3000 });

    const missing = join(dir, 'gone.pcap');
    const results: IngestResult[] = [];
    for await (const r of ingestCaptures(store, [missing, captures[0]!, captures[1]!], { batchRows: 1000 })) results.push(r);
    expect(results.map((r) => r.status)).toEqual(['failed', 'skipped', 'complete']);
    expect(results[0]!.error).toBeInstanceOf(CaptureError);
    expect(results[0]!.error!.message).toBe(`${missing}: ENOENT: no such file or directory, stat '${missing}'`);
  });
});

describe('commits', () => {
  // Three captures of 3000 flows, every fifth an ARP exchange (its proto and community_id NULL),
  // all ending at their file's end.
  const captures = [0, 1, 2].map((k) =>
    writeCapture(
      Array.from({ length: 3000 }, (_, i) => {
        const a = `10.${k}.${i >> 8}.${i & 255}`;
        return i % 5 === 0 ? arpFrame({ op: 'request', sender: a, target: '10.255.0.1' }) : udpFrame({ src: a, dst: '192.0.2.1', srcPort: 5000, dstPort: 53 });
      }),
      1_700_000_000_000_000 + k * 1e9,
      10_000,
    ),
  );
  const counts = async (store: Store) => {
    const [{ rows }] = (await store.all(`SELECT count(*) AS rows FROM flows`)) as [{ rows: bigint }];
    const caps = await store.all<{ status: string }>(`SELECT status FROM captures ORDER BY capture_id`);
    return { rows: Number(rows), status: caps.map((c) => c.status) };
  };

  it('come a fixed number of flows at a time across captures, and a capture is complete only once its last flows are in', async () => {
    const store = await open();
    const seen: { rows: number; status: string[] }[] = [];
    // 1001 flows a commit: commits start mid-batch, at rows that are not on a byte of the null bitmaps.
    for await (const r of ingestCaptures(store, captures, { batchRows: 1000, commitRows: 1001 })) {
      expect(r).toMatchObject({ status: 'complete', flows: 3000 });
      seen.push(await counts(store));
    }
    expect(seen).toEqual([
      { rows: 2002, status: ['incomplete'] },
      { rows: 5005, status: ['complete', 'incomplete'] },
      { rows: 8008, status: ['complete', 'complete', 'incomplete'] },
    ]);
    expect(await counts(store)).toEqual({ rows: 9000, status: ['complete', 'complete', 'complete'] });
    const one = await open();
    for (const f of captures) await ingestCapture(one, f);
    const arp = await one.all(`SELECT count(*) AS n FROM flows WHERE proto IS NULL AND community_id IS NULL`);
    expect(arp).toEqual([{ n: 1800n }]);
    expect(await contents(store)).toEqual(await contents(one));
  });

  it('write every column of the captures they complete, several in one statement', async () => {
    const t0 = 1_700_000_000_000_000;
    const lldp = ethernetFrame({ ethertype: 0x88cc, payload: new Uint8Array(40) });
    const query = (i: number) => udpFrame({ src: `10.7.0.${i}`, dst: '192.0.2.1', srcPort: 5000, dstPort: 53 });
    const first = writeCapture([query(1), lldp, query(2)], t0, 250_000);
    const whole = writeCapture([query(3), query(4), query(5)], t0 + 10_000_000, 1000);
    const damaged = join(dir, 'cut-in-last-record.pcap');
    const bytes = readFileSync(whole);
    writeFileSync(damaged, bytes.subarray(0, bytes.length - 10));
    const store = await open();
    const results: IngestResult[] = [];
    for await (const r of ingestCaptures(store, [first, damaged])) results.push(r);
    expect(results.map((r) => r.status)).toEqual(['complete', 'damaged']);
    const rows = await store.all(
      `SELECT path, format, link_types, epoch_us(first_packet) AS first_us, epoch_us(last_packet) AS last_us, packets, decoded,
         skipped, skipped_by_reason::VARCHAR AS reasons, flows, status, error, ingest_finished >= ingest_started AS finished
       FROM captures ORDER BY capture_id`,
    );
    expect(rows).toEqual([
      {
        path: first, format: 'pcap', link_types: [1], first_us: BigInt(t0), last_us: BigInt(t0 + 500_000), packets: 3n, decoded: 2n,
        skipped: 1n, reasons: '{"not_ip":1}', flows: 2n, status: 'complete', error: null, finished: true,
      },
      {
        path: damaged, format: 'pcap', link_types: [1], first_us: BigInt(t0 + 10_000_000), last_us: BigInt(t0 + 10_001_000), packets: 2n, decoded: 2n,
        skipped: 0n, reasons: '{}', flows: 2n, status: 'damaged', error: results[1]!.error!.message, finished: true,
      },
    ]);
    expect(results[1]!.error!.message).toMatch(/cut-in-last-record\.pcap: file ends inside a record/);
  });

  it('of a file given twice: the second finds the first stored, forced or not', async () => {
    const copy = join(dir, 'again.pcap');
    copyFileSync(captures[0]!, copy);
    const store = await open();
    const results: IngestResult[] = [];
    for await (const r of ingestCaptures(store, [captures[0]!, copy, captures[1]!])) results.push(r);
    expect(results.map((r) => r.status)).toEqual(['complete', 'skipped', 'complete']);
    expect(await counts(store)).toEqual({ rows: 6000, status: ['complete', 'complete'] });
    const forced: IngestResult[] = [];
    for await (const r of ingestCaptures(store, [captures[2]!, copy], { force: true })) forced.push(r);
    expect(forced.map((r) => [r.status, r.captureId])).toEqual([['complete', 3], ['complete', 1]]);
    expect(await counts(store)).toEqual({ rows: 9000, status: ['complete', 'complete', 'complete'] });
  });

  it('of at most what DuckDB\'s appender holds', async () => {
    const store = await open();
    await expect(ingestCapture(store, captures[0]!, { commitRows: 0 })).rejects.toThrow('commitRows must be an integer from 1 to 204800, not 0');
  });
});

describe('a directory ingested again', () => {
  // Files of one-datagram flows from subnet 10.k, each flow its own.
  const flowsFrom = (k: number, n: number, t0 = 1_700_000_000_000_000) =>
    readFileSync(writeCapture(Array.from({ length: n }, (_, i) => udpFrame({ src: `10.${k}.${i >> 8}.${i & 255}`, dst: '192.0.2.1', srcPort: 5000, dstPort: 53 })), t0, 10_000));
  const T = 1_700_000_000; // a whole second, given as a file's modification time
  /** Writes `bytes` to `path`, its modification time `mtime` (seconds) when given. */
  function place(path: string, bytes: Buffer, mtime?: number): string {
    writeFileSync(path, bytes);
    if (mtime !== undefined) utimesSync(path, mtime, mtime);
    return path;
  }
  async function ingestAll(store: Store, files: string[], options: Parameters<typeof ingestCaptures>[2] = {}) {
    const results: IngestResult[] = [];
    for await (const r of ingestCaptures(store, files, options)) results.push(r);
    return results.map((r) => ({ status: r.status, captureId: r.captureId, note: r.note }));
  }
  const unchanged = (id: number) => ({ status: 'skipped', captureId: id, note: `unchanged since it was ingested as capture ${id} (same path, size and modification time)` });

  it('skips a file unchanged since unread, notes the time of one touched, and keeps a file rewritten as a capture of its own', async () => {
    const sub = mkdtempSync(join(dir, 'sensor-'));
    const a = place(join(sub, 'a.pcap'), flowsFrom(1, 50), T);
    const b = place(join(sub, 'b.pcap'), flowsFrom(2, 60), T);
    const store = await open();
    expect(await ingestAll(store, [a, b])).toEqual([
      { status: 'complete', captureId: 1, note: undefined },
      { status: 'complete', captureId: 2, note: undefined },
    ]);
    const [row] = await store.all(`SELECT epoch_us(mtime) AS mtime FROM captures WHERE capture_id = 1`);
    expect(row).toEqual({ mtime: BigInt(T) * 1_000_000n });

    // Other bytes under the same size and modification time: still skipped, so not even hashed.
    const other = flowsFrom(3, 50);
    expect(other.length).toBe(statSync(a).size);
    place(a, other, T);
    expect(await ingestAll(store, [a, b])).toEqual([unchanged(1), unchanged(2)]);

    // b touched: hashed, found the same, its new time noted. a's new time: hashed, and a capture of its own
    // (a file rewritten in place, as a ring of rotated names does: the earlier capture stays).
    utimesSync(b, T + 60, T + 60);
    utimesSync(a, T + 60, T + 60);
    expect(await ingestAll(store, [a, b])).toEqual([
      { status: 'complete', captureId: 3, note: undefined },
      { status: 'skipped', captureId: 2, note: 'already ingested as capture 2' },
    ]);
    expect(await ingestAll(store, [a, b])).toEqual([unchanged(3), unchanged(2)]);
    // --force reads them all the same.
    expect(await ingestAll(store, [a, b], { force: true })).toMatchObject([{ status: 'complete', captureId: 3 }, { status: 'complete', captureId: 2 }]);
    const counts = await store.all(`SELECT capture_id, count(*) AS flows FROM flows GROUP BY ALL ORDER BY ALL`);
    expect(counts).toEqual([{ capture_id: 1, flows: 50n }, { capture_id: 2, flows: 60n }, { capture_id: 3, flows: 50n }]);
  });

  it('in a database of store schema 3 (no modification times): finds each file by its SHA-256 once, then skips it unread', async () => {
    const sub = mkdtempSync(join(dir, 'schema3-'));
    const a = place(join(sub, 'a.pcap'), flowsFrom(7, 30), T);
    const store = await reopenedFromSchema(3, async (old) => {
      expect(await ingestAll(old, [a])).toMatchObject([{ status: 'complete', captureId: 1 }]);
      await old.run('DROP INDEX captures_sha256'); // DuckDB drops no column of an indexed table
      await old.run('ALTER TABLE captures DROP COLUMN mtime');
      await old.run('CREATE INDEX captures_sha256 ON captures (sha256)');
    });
    expect(await store.all(`SELECT mtime FROM captures`)).toEqual([{ mtime: null }]);
    expect(await ingestAll(store, [a])).toEqual([{ status: 'skipped', captureId: 1, note: 'already ingested as capture 1' }]);
    expect(await ingestAll(store, [a])).toEqual([unchanged(1)]);
  });

  it('replaces the capture of a file that grew since (one still being written), and counts nothing twice', async () => {
    const sub = mkdtempSync(join(dir, 'growing-'));
    const full = flowsFrom(4, 400);
    const path = join(sub, 'now.pcap');
    const cutAt = Math.floor(full.length * 0.4); // inside a record, as a writer leaves it between two writes
    const store = await open();
    place(path, full.subarray(0, cutAt));
    const first = await ingestCapture(store, path);
    expect(first).toMatchObject({ status: 'damaged', captureId: 1 });
    expect(first.flows).toBeGreaterThan(100);

    place(path, full);
    const grown = await ingestCapture(store, path);
    expect(grown).toMatchObject({ status: 'complete', captureId: 1, flows: 400, note: 'grew since it was ingested as capture 1: read again whole' });
    await expectStoredEqualsEngine(store, path, 1); // the flows of the first read are gone
    const sha = createHash('sha256').update(full).digest('hex');
    expect(await store.all(`SELECT capture_id, size, sha256, status FROM captures`)).toEqual([{ capture_id: 1, size: BigInt(full.length), sha256: sha, status: 'complete' }]);

    // Longer, but not a continuation (its first bytes differ): a capture of its own.
    const longer = flowsFrom(5, 500);
    place(path, longer);
    expect(await ingestCapture(store, path)).toMatchObject({ status: 'complete', captureId: 2, flows: 500 });
    expect(await ingestCapture(store, path)).toMatchObject(unchanged(2));

    // The same path twice in one ingest, the file grown in between: read again whole under the same capture.
    const twice = join(sub, 'twice.pcap');
    const whole = flowsFrom(6, 400);
    place(twice, whole.subarray(0, cutAt));
    let grownYet = false;
    const grow = () => {
      if (!grownYet) place(twice, whole);
      grownYet = true;
    };
    expect(await ingestAll(store, [twice, twice], { onFileRead: grow })).toEqual([
      { status: 'damaged', captureId: 3, note: undefined },
      { status: 'complete', captureId: 3, note: 'grew since it was ingested as capture 3: read again whole' },
    ]);
    await expectStoredEqualsEngine(store, twice, 3);
  });
});

describe('fileSha256', () => {
  it('is the SHA-256 of the bytes, and names a file it cannot read', async () => {
    const sha = createHash('sha256');
    for await (const chunk of createReadStream(sample)) sha.update(chunk as Buffer);
    expect(await fileSha256(sample)).toBe(sha.digest('hex'));
    const big = join(dir, 'two-chunks.bin'); // more than the 1 MB read at a time
    const bytes = Buffer.alloc(2_500_000, 7);
    writeFileSync(big, bytes);
    expect(await fileSha256(big)).toBe(createHash('sha256').update(bytes).digest('hex'));
    await expect(fileSha256(join(dir, 'none.pcap'))).rejects.toMatchObject({ code: 'open_failed', message: `${join(dir, 'none.pcap')}: No such file or directory` });
    await expect(fileSha256(dir)).rejects.toMatchObject({ code: 'open_failed', message: `${dir}: Is a directory` });
  });

  it('hashes the first bytes only when asked, and a prefix of them from the same read', async () => {
    const bytes = Buffer.from(Array.from({ length: 2_500_000 }, (_, i) => (i * 31) & 255));
    const file = join(dir, 'ranges.bin');
    writeFileSync(file, bytes);
    const sha = (n: number) => createHash('sha256').update(bytes.subarray(0, n)).digest('hex');
    expect(await fileDigests(file, { length: 2_000_001, prefixLength: 1_048_577 })).toEqual({ sha256: sha(2_000_001), prefixSha256: sha(1_048_577) });
    expect(await fileDigests(file, { prefixLength: 0 })).toEqual({ sha256: sha(bytes.length), prefixSha256: sha(0) });
    expect(await fileDigests(file, { length: 10, prefixLength: 10 })).toEqual({ sha256: sha(10), prefixSha256: sha(10) });
    // A file shorter than asked: hashed to its end, and no prefix it does not reach.
    expect(await fileDigests(file, { length: 3_000_000, prefixLength: 2_600_000 })).toEqual({ sha256: sha(bytes.length) });
    expect(await fileDigests(file, { length: 100, prefixLength: 200 })).toEqual({ sha256: sha(100) });
    await expect(fileDigests(file, { length: -1 })).rejects.toThrow('length must be a whole number of bytes');
    await expect(fileDigests(file, { prefixLength: 1.5 })).rejects.toThrow('prefixLength must be a whole number of bytes');
  });
});

describe('kill -9 in the middle of an ingest', () => {
  // 12 000 one-datagram flows, committed 500 at a time.
  const big = writeCapture(
    Array.from({ length: 12_000 }, (_, i) =>
      udpExchange({ client: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, server: '10.255.0.1', clientPort: 1024 + (i % 60000), serverPort: 53, requests: [Uint8Array.of(1)] }),
    ).flat(),
  );

  it('leaves a database that opens, holds whole batches, says incomplete, and finishes on the next ingest', async () => {
    const db = dbPath();
    const child = spawn(process.execPath, [join(import.meta.dirname, 'support', 'ingest-child.mjs'), db, big, '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('committed') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    // The database is open in the child: another process is told who holds it.
    const locked = runCli(['ingest', sample, '--db', db]);
    expect(locked.status).toBe(6);
    expect(locked.stderr).toMatch(new RegExp(`is in use by process ${child.pid} \\(.*ingest-child\\.mjs`));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));

    const store = await open(db);
    const [cap] = await store.all(`SELECT capture_id, status FROM captures`);
    expect(cap!.status).toBe('incomplete');
    const [{ rows }] = (await store.all(`SELECT count(*) AS rows FROM flows`)) as [{ rows: bigint }];
    expect(Number(rows)).toBeGreaterThan(0);
    expect(Number(rows) % 500).toBe(0);
    const r = await ingestCapture(store, big);
    expect(r).toMatchObject({ status: 'complete', captureId: cap!.capture_id, flows: 12_000 });
    const [{ total }] = (await store.all(`SELECT count(*) AS total FROM flows`)) as [{ total: bigint }];
    expect(total).toBe(12_000n);
  });
});

describe('mommy-forensics ingest', () => {
  it('on a full disk: one line, exit 6, what was committed kept; with room again the same command stores the rest', (ctx) => {
    // A real full disk: a database on a 5 MB tmpfs, then 100 000 flows whose payloads do not compress.
    const mnt = mkdtempSync(join(dir, 'small-disk-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=5m', 'tmpfs', mnt], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      console.warn(`[store] skipping the full-disk test: cannot mount a tmpfs (${mounted.stderr.trim() || mounted.error?.message})`);
      ctx.skip();
    }
    try {
      let seed = 11;
      const noise = () => Uint8Array.from({ length: 100 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      const big = writeCapture(
        Array.from({ length: 100_000 }, (_, i) => udpFrame({ src: `10.${9 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, dst: '192.0.2.7', srcPort: 4000 + (i % 1000), dstPort: 9, payload: noise() })),
        1_700_000_000_000_000,
        10_000,
      );
      const db = join(mnt, 'store.duckdb');
      expect(runCli(['ingest', sample, '--db', db, '-q', '--no-detect', '--no-ml']).status).toBe(0);
      const full = runCli(['ingest', big, '--db', db, '-q', '--no-detect', '--no-ml']);
      expect(full.status).toBe(6);
      const lines = full.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^mommy-forensics: .*store\.duckdb: .*No space left on device; ingest stopped at .*\.pcap: what was committed before is kept, and ingesting the same files again stores the rest$/);
      const stored = `SELECT capture_id, status, flows, (SELECT count(*) FROM flows f WHERE f.capture_id = c.capture_id) AS stored FROM captures c ORDER BY 1`;
      const before = runCli(['query', stored, '--db', db, '--format', 'json']);
      expect(before.status).toBe(0);
      expect(JSON.parse(before.stdout)).toEqual([{ capture_id: 1, status: 'complete', flows: 305, stored: 305 }]);

      expect(spawnSync('mount', ['-o', 'remount,size=64m', mnt]).status).toBe(0);
      const again = runCli(['ingest', sample, big, '--db', db, '--json', '-q', '--no-detect', '--no-ml']);
      expect(again.status).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ ingested: 1, already_present: 1, flows: 100_000 });
      const after = runCli(['query', stored, '--db', db, '--format', 'json']);
      expect(JSON.parse(after.stdout).map((r: { stored: number; flows: number }) => r.stored === r.flows && r.stored)).toEqual([305, 100_000]);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('stops on Ctrl-C: the capture being read is left incomplete, the ones read before are stored, and the next ingest finishes', async () => {
    const small = [0, 1].map((k) => writeCapture(Array.from({ length: 3000 }, (_, i) => udpFrame({ src: `10.${k}.${i >> 8}.${i & 255}`, dst: '192.0.2.1', srcPort: 5000, dstPort: 53 }))));
    // Long enough to be interrupted while it is read: 200 000 flows.
    const big = writeCapture(Array.from({ length: 200_000 }, (_, i) => udpFrame({ src: `10.${9 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, dst: '192.0.2.1', srcPort: 5000, dstPort: 53 })));
    const db = dbPath();
    const child = spawn(process.execPath, [CLI, 'ingest', ...small, big, '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes(`[3/3] ${big}`)) resolve();
      }),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain(`mommy-forensics: interrupted: ${big} was not finished (ingest it again to finish it); the captures before it are stored`);
    expect(stdout).toMatch(/^interrupted: 3 captures \(2 ingested, 0 already present, 0 damaged, 0 failed\): 6000 packets, 6000 flows/);

    // The two small captures' flows were waiting to be committed with the big one's: they are stored.
    const store = await open(db);
    const caps = await store.all<{ path: string; status: string; stored: bigint }>(
      `SELECT path, status, (SELECT count(*) FROM flows f WHERE f.capture_id = c.capture_id) AS stored FROM captures c ORDER BY capture_id`,
    );
    expect(caps.slice(0, 2)).toEqual(small.map((path) => ({ path, status: 'complete', stored: 3000n })));
    expect(caps.slice(2).map((c) => c.status)).toEqual(caps.length === 3 ? ['incomplete'] : []);
    store.close();
    stores.splice(stores.indexOf(store), 1);

    const again = runCli(['ingest', ...small, big, '--db', db, '--json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ captures: 3, ingested: 1, already_present: 2, flows: 200_000, interrupted: false });
    const after = await open(db);
    expect(await after.all(`SELECT count(*) AS n FROM flows`)).toEqual([{ n: 206_000n }]);
  });

  it('reads files, directories and quoted globs, and prints a summary', () => {
    const db = dbPath();
    const sub = mkdtempSync(join(dir, 'tree-'));
    copyFileSync(sample, join(sub, 'a.pcap'));
    writeFileSync(join(sub, 'notes.txt'), 'not a capture');
    const r = runCli(['ingest', sub, join(dir, 'nothing-*.pcap'), '--db', db, '--json']);
    expect(r.status).toBe(2); // the glob matched nothing
    expect(r.stderr).toContain('nothing-*.pcap: no capture files found');
    expect(JSON.parse(r.stdout)).toMatchObject({ captures: 1, ingested: 1, flows: 305, packets: 1120 });
    const again = runCli(['ingest', join(sub, '*.pcap'), '--db', db]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/^1 captures \(0 ingested, 1 already present, 0 damaged, 0 failed\)/);
    expect(again.stderr).toContain('a.pcap: unchanged since it was ingested as capture 1 (same path, size and modification time), skipped (--force ingests it again)');
    // Its packets written to it once more, as a capture still being written grows.
    const bytes = readFileSync(sample);
    writeFileSync(join(sub, 'a.pcap'), Buffer.concat([bytes, bytes.subarray(24)]));
    const grown = runCli(['ingest', sub, '--db', db, '--json']);
    expect(grown.status).toBe(0);
    expect(grown.stderr).toContain('a.pcap: grew since it was ingested as capture 1: read again whole');
    expect(JSON.parse(grown.stdout)).toMatchObject({ captures: 1, ingested: 1, packets: 2240 });
  });

  it('--min-age leaves a capture still being written for a later run', () => {
    const db = dbPath();
    const sub = mkdtempSync(join(dir, 'writing-'));
    const done = join(sub, 'done.pcap');
    copyFileSync(sample, done);
    const hourAgo = Date.now() / 1000 - 3600;
    utimesSync(done, hourAgo, hourAgo);
    const writing = join(sub, 'writing.pcap');
    writeFileSync(writing, readFileSync(sample).subarray(0, 5000)); // cut inside a record, modified now
    const r = runCli(['ingest', sub, '--db', db, '--min-age', '60', '--json', '-q', '--no-detect', '--no-ml']);
    expect(r.status).toBe(0);
    expect(r.stderr.trim()).toMatch(/^mommy-forensics: .*writing\.pcap: modified \d+ s ago, left for a later ingest \(--min-age 60\)$/);
    expect(JSON.parse(r.stdout)).toMatchObject({ captures: 2, ingested: 1, left_for_later: 1, damaged: 0, flows: 305 });
    // Without it, the file is read up to where its writer is: damaged, exit 3.
    const now = runCli(['ingest', sub, '--db', db, '-q', '--no-detect', '--no-ml']);
    expect(now.status).toBe(3);
    expect(now.stdout).toMatch(/^2 captures \(0 ingested, 1 already present, 1 damaged, 0 failed\)/);
    const bad = runCli(['ingest', sub, '--db', db, '--min-age', 'soon']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--min-age must be a number of seconds (0 or more)');
  });

  it('prints plain progress lines when stderr is not a terminal', () => {
    const r = runCli(['ingest', sample, '--db', dbPath()]);
    expect(r.stderr).toMatch(/^\[1\/1\] .*demo\.pcap$/m);
  });

  it('refuses a file that is not a DuckDB database, exit 6', () => {
    const fake = join(dir, 'fake.duckdb');
    writeFileSync(fake, 'definitely not duckdb '.repeat(100));
    const r = runCli(['ingest', sample, '--db', fake]);
    expect(r.status).toBe(6);
    expect(r.stderr.trim()).toBe(`mommy-forensics: ${fake} is not a DuckDB database`);
  });
});
