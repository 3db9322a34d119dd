/**
 * Read-only queries and saved queries: each read-only layer on its own, the
 * saved queries on synthetic captures whose every packet is known (expected
 * values computed from the frames, not from flows), on the corpus against
 * tshark, and the same SQL over a Parquet lake and over the store.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as core from '@mommynet/core';
import {
  bindParameters,
  ingestCapture,
  openStore,
  parseParameterArgs,
  parseTimestamp,
  QueryError,
  ReadOnlySession,
  SAVED_QUERIES,
  savedQuery,
  tableOf,
} from '@mommynet/core';
import { arpFrame, tcpSession, udpExchange } from '@mommynet/core/synth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CORPUS_PCAPS, haveCorpus } from './support/corpus.js';
import { haveTool, tsharkFields } from './support/flows.js';
import { writeCapture } from './support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'mommy-query-'));
const enc = new TextEncoder();

// ---- synthetic traffic ------------------------------------------------------------

const T0 = 1_700_000_000_000_000; // 2023-11-14T22:13:20Z
const SECOND = 1_000_000;
const DAY = 86_400 * SECOND;
type Timed = { tsMicros: number; frame: Uint8Array };
const timed = (start: number, frames: Uint8Array[], step = 1000): Timed[] => frames.map((frame, i) => ({ tsMicros: start + i * step, frame }));
const sorted = (frames: Timed[]) => [...frames].sort((a, b) => a.tsMicros - b.tsMicros);

/** Day 1 (sensor alpha): a web session, a port scan, a busy crawler, DNS clients, one long SSH connection. */
function dayOne(): Timed[] {
  const frames: Timed[] = [];
  frames.push(
    ...timed(T0, tcpSession({
      client: '10.9.0.10', server: '10.9.0.1', clientPort: 40000, serverPort: 443,
      exchanges: [{ fromClient: true, payload: enc.encode('GET /\x1b]0;pwned\x07\x1b[2J\r\n') }, { fromClient: false, payload: new Uint8Array(1000).fill(120) }],
    })),
  );
  for (let p = 1; p <= 60; p += 1)
    frames.push(...timed(T0 + SECOND + p * 2000, tcpSession({ client: '10.9.0.66', server: '10.9.0.1', clientPort: 50000, serverPort: p, ending: p <= 55 ? 'unanswered' : 'refused' })));
  for (let i = 1; i <= 55; i += 1)
    frames.push(...timed(T0 + 2 * SECOND + i * 10_000, tcpSession({ client: '10.9.0.12', server: `10.9.2.${i}`, clientPort: 41000 + i, serverPort: 443 })));
  for (let i = 0; i < 40; i += 1)
    frames.push(...timed(T0 + 3 * SECOND + i * 5000, udpExchange({ client: '10.9.0.20', server: '10.9.0.53', clientPort: 30000 + i, serverPort: 53, requests: [new Uint8Array(30)], responses: [new Uint8Array(60)] })));
  for (let i = 0; i < 3; i += 1)
    frames.push(...timed(T0 + 4 * SECOND + i * 5000, udpExchange({ client: '10.9.0.21', server: '10.9.0.53', clientPort: 30000 + i, serverPort: 53, requests: [new Uint8Array(30)], responses: [new Uint8Array(60)] })));
  // 23 frames, 50 s apart: 1100 s, cut into interim records by a 300 s active timeout.
  const ssh = tcpSession({
    client: '10.9.0.30', server: '10.9.0.2', clientPort: 50001, serverPort: 22, ending: 'open',
    exchanges: Array.from({ length: 10 }, () => ({ fromClient: true, payload: new Uint8Array(48) })),
  });
  frames.push(...timed(T0 + 10 * SECOND, ssh, 50 * SECOND));
  return sorted(frames);
}

/** Day 3 (sensor beta): a new peer of 10.9.0.10, and an old DNS pair again. */
function dayThree(): Timed[] {
  const start = T0 + 2 * DAY;
  return sorted([
    ...timed(start, tcpSession({
      client: '10.9.0.10', server: '10.9.0.99', clientPort: 40001, serverPort: 80,
      exchanges: [{ fromClient: true, payload: enc.encode('GET / HTTP/1.0\r\n\r\n') }, { fromClient: false, payload: new Uint8Array(200) }],
    })),
    ...timed(start + SECOND, udpExchange({ client: '10.9.0.20', server: '10.9.0.53', clientPort: 31000, serverPort: 53, requests: [new Uint8Array(30)], responses: [new Uint8Array(60)] })),
  ]);
}

/** Bytes per IPv4 address straight from the frames: Ethernet + IPv4 header fields, no flow code. */
function bytesPerHost(frames: Timed[], since = -Infinity): Map<string, number> {
  const totals = new Map<string, number>();
  for (const { tsMicros, frame } of frames) {
    if (tsMicros < since) continue;
    const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    if (v.getUint16(12) !== 0x0800) continue;
    const length = v.getUint16(16);
    const src = frame.subarray(26, 30).join('.');
    const dst = frame.subarray(30, 34).join('.');
    totals.set(src, (totals.get(src) ?? 0) + length);
    if (dst !== src) totals.set(dst, (totals.get(dst) ?? 0) + length);
  }
  return totals;
}

const ranking = (totals: Map<string, number>) =>
  [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([host, bytes]) => ({ host, bytes }));

const day1 = dayOne();
const day3 = dayThree();
const dbPath = join(dir, 'synthetic.duckdb');

async function rows(session: ReadOnlySession, sqlOrName: string, params: Record<string, string> = {}) {
  const saved = SAVED_QUERIES.find((q) => q.name === sqlOrName);
  const result = saved ? await session.streamSaved(saved, params) : await session.stream(sqlOrName, params);
  return (await result.getRowObjectsJS()) as Record<string, unknown>[];
}

/** Rows with bigints as numbers and times as ISO strings, for comparisons. */
const plain = (rs: Record<string, unknown>[]) =>
  rs.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v])),
  );

let session: ReadOnlySession;

beforeAll(async () => {
  const store = await openStore(dbPath);
  expect((await ingestCapture(store, writeCapture(day1), { sensor: 'alpha', activeTimeout: 300 })).status).toBe('complete');
  expect((await ingestCapture(store, writeCapture(day3), { sensor: 'beta', activeTimeout: 300 })).status).toBe('complete');
  await store.run(`INSERT INTO alerts (alert_time, category, severity, src_ip, detector, message, capture_id)
    VALUES (TIMESTAMP '2023-11-14 22:13:21', 'port_scan', 2, '10.9.0.66', 'test', 'scan', 1),
           (TIMESTAMP '2023-11-16 22:13:20', 'other', 4, '10.9.0.10', 'test', 'x', 2)`);
  store.close();
  session = await ReadOnlySession.open({ db: dbPath });
});
afterAll(() => session?.close());

// ---- the layers -------------------------------------------------------------------

describe('read-only layers, each on its own', () => {
  it('layer 1: the database is open read-only even for statements that get past the checks', async () => {
    const raw = session.connection;
    await expect(raw.run('INSERT INTO alerts (alert_time, category, severity, detector, message) VALUES (now(), 1, 1, 1, 1)')).rejects.toThrow(/read-only mode/);
    await expect(raw.run('DROP TABLE flows')).rejects.toThrow(/read-only mode/);
    // A SELECT that writes: sequences live in the file.
    await expect(rows(session, "SELECT nextval('capture_ids')")).rejects.toThrow(/read-only mode/);
  });

  it('layer 3: file access is off and the configuration locked, even on the raw connection', async () => {
    const raw = session.connection;
    await expect(raw.run("SELECT * FROM read_text('/etc/hostname')")).rejects.toThrow(/file system operations are disabled/);
    await expect(raw.run(`COPY (SELECT 1) TO '${join(dir, 'x.csv')}'`)).rejects.toThrow(/file system operations are disabled/);
    await expect(raw.run('SET enable_external_access = true')).rejects.toThrow(/configuration has been locked/);
    await expect(raw.run("SET allowed_directories = ['/']")).rejects.toThrow(/configuration has been locked/);
    await expect(raw.run('SET lock_configuration = false')).rejects.toThrow(/configuration has been locked/);
    await expect(raw.run('INSTALL httpfs')).rejects.toThrow(/disabled by configuration/);
  });

  it('layer 2: DuckDB types the statement; only reading passes', async () => {
    for (const [sql, name] of [
      ['WITH x AS (SELECT 1) INSERT INTO alerts SELECT * FROM alerts', 'INSERT'],
      ['PRAGMA enable_profiling', 'PRAGMA'],
      ['EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1', 'EXPLAIN of CREATE'],
      ['EXPLAIN (FORMAT json) COPY flows TO \'x.csv\'', 'EXPLAIN of COPY'],
      ['/* hi /* nested */ */ -- x\n  SET VARIABLE x = 1', 'SET'],
      ['CALL pragma_table_info(\'flows\')', 'CALL'],
    ] as const)
      await expect(session.prepare(sql), sql).rejects.toThrow(`refused: ${name} is not allowed`);
    for (const sql of [
      'SELECT 1',
      'FROM flows LIMIT 1',
      '(SELECT 1)',
      'DESCRIBE flows',
      'SHOW TABLES',
      'SUMMARIZE SELECT proto FROM flows',
      'EXPLAIN SELECT * FROM flows',
      'EXPLAIN ANALYZE SELECT count(*) FROM flows',
      'EXPLAIN (SELECT 1)',
      'EXPLAIN (FORMAT json) SELECT 1',
      "SELECT * FROM pragma_table_info('flows')",
    ])
      (await session.prepare(sql)).destroySync();
  });

  it('refuses empty text and more than one statement', async () => {
    await expect(session.prepare('  -- nothing\n')).rejects.toMatchObject({ code: 'empty' });
    await expect(session.prepare('SELECT 1; SELECT 2')).rejects.toMatchObject({ code: 'multiple' });
    (await session.prepare('SELECT 1;')).destroySync();
  });

  it('keeps DuckDB\'s LINE and caret apart from the message', async () => {
    const err = await session.prepare('SELECT src_ip,\n  nope FROM flows').catch((e) => e);
    expect(err).toBeInstanceOf(QueryError);
    expect(err.message).toMatch(/^Binder Error: Referenced column "nope" not found/);
    expect(err.context).toBe('LINE 2:   nope FROM flows\n          ^');
  });

  it('binds parameters of ad-hoc SQL as text that DuckDB casts, and checks their names', async () => {
    expect(plain(await rows(session, 'SELECT count(*) AS n FROM flows WHERE dst_port = $port', { port: '443' }))).toEqual([{ n: 56 }]);
    await expect(session.stream('SELECT 1', { x: '1' })).rejects.toThrow('the SQL has no parameter $x');
    await expect(session.stream('SELECT $x')).rejects.toThrow('needs --param x=VALUE');
  });
});

// ---- parameters -------------------------------------------------------------------

describe('saved query parameters', () => {
  it('parses NAME=VALUE pairs', () => {
    expect(parseParameterArgs(['a=1', 'b=x=y', 'c='])).toEqual({ a: '1', b: 'x=y', c: '' });
    expect(() => parseParameterArgs(['a'])).toThrow('give NAME=VALUE');
    expect(() => parseParameterArgs(['a=1', 'a=2'])).toThrow('given twice');
  });

  it('reads UTC dates and times only', () => {
    expect(parseTimestamp('2023-11-14')).toBe(1_699_920_000_000_000n);
    expect(parseTimestamp('2023-11-14T22:13:20.5Z')).toBe(BigInt(T0) + 500_000n);
    expect(parseTimestamp('2023-11-14 22:13')).toBe(BigInt(T0) - 20_000_000n);
    for (const bad of ['2023-02-30', '2023-11-14T25:00', 'yesterday', '2023-11-14T10:00+02:00']) expect(parseTimestamp(bad)).toBeUndefined();
  });

  it('checks names, types, ranges and required parameters with one-line messages', () => {
    const q = savedQuery('host_flows');
    expect(() => bindParameters(q, {})).toThrow('host_flows needs --param host=VALUE');
    expect(() => bindParameters(q, { host: '10.0.0.300' })).toThrow('parameter host: "10.0.0.300" is not an IPv4 or IPv6 address');
    expect(() => bindParameters(q, { host: '10.0.0.1', limt: '5' })).toThrow('host_flows has no parameter "limt" (parameters: host, limit, since, until)');
    expect(() => bindParameters(q, { host: '10.0.0.1', limit: '0' })).toThrow('out of range');
    expect(() => bindParameters(q, { host: '10.0.0.1', limit: '1.5' })).toThrow('is not an integer');
    expect(() => bindParameters(q, { host: '10.0.0.1', since: '14/11/2023' })).toThrow('is not a UTC date or time');
    expect(() => savedQuery('top_talker')).toThrow(/no saved query "top_talker" \(saved queries: top_talkers, /);
  });

  it('every saved query uses exactly its declared parameters', async () => {
    expect(SAVED_QUERIES.map((q) => q.name)).toEqual(['top_talkers', 'host_flows', 'long_flows', 'port_scan_candidates', 'dns_heavy_hosts', 'new_peers']);
    for (const q of SAVED_QUERIES) {
      const prepared = await session.prepare(q.sql);
      const names = Array.from({ length: prepared.parameterCount }, (_, i) => prepared.parameterName(i + 1)).sort();
      expect(names, q.name).toEqual(q.parameters.map((p) => p.name).sort());
      prepared.destroySync();
    }
  });
});

// ---- saved queries on synthetic traffic -------------------------------------------

describe('saved queries on synthetic captures', () => {
  it('top_talkers equals the IP bytes of every frame, per address', async () => {
    const want = ranking(bytesPerHost([...day1, ...day3]));
    const got = plain(await rows(session, 'top_talkers', { limit: '1000' }));
    expect(got.map((r) => ({ host: r.host, bytes: r.bytes }))).toEqual(want);
    const web = got.find((r) => r.host === '10.9.0.99')!;
    expect(web.bytes).toBe((web.bytes_sent as number) + (web.bytes_received as number));
    expect(plain(await rows(session, 'top_talkers', { limit: '3' }))).toHaveLength(3);
  });

  it('top_talkers since a time counts only the flows after it', async () => {
    const since = T0 + 2 * DAY - 3600 * SECOND;
    const want = ranking(bytesPerHost(day3, since));
    const got = plain(await rows(session, 'top_talkers', { since: new Date(since / 1000).toISOString() }));
    expect(got.map((r) => ({ host: r.host, bytes: r.bytes }))).toEqual(want);
  });

  it('host_flows lists one host\'s flows in time order with direction and peer', async () => {
    const got = plain(await rows(session, 'host_flows', { host: '10.9.0.10' }));
    expect(got.map((r) => [r.direction, r.peer, r.dst_port, r.conn_state])).toEqual([
      ['out', '10.9.0.1', 443, 'SF'],
      ['out', '10.9.0.99', 80, 'SF'],
    ]);
    const server = plain(await rows(session, 'host_flows', { host: '10.9.0.1', limit: '5' }));
    expect(server.map((r) => r.direction)).toEqual(['in', 'in', 'in', 'in', 'in']);
  });

  it('port_scan_candidates finds the scanner, not the busy crawler', async () => {
    const got = plain(await rows(session, 'port_scan_candidates'));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ source: '10.9.0.66', targets: 60, hosts: 1, ports: 60, flows: 60, failed_share: 1 });
    const all = plain(await rows(session, 'port_scan_candidates', { min_failed_share: '0' }));
    expect(all.map((r) => [r.source, r.targets, r.failed_share])).toEqual([
      ['10.9.0.66', 60, 1],
      ['10.9.0.12', 55, 0],
    ]);
  });

  it('dns_heavy_hosts counts the packets each client sent to port 53', async () => {
    const got = plain(await rows(session, 'dns_heavy_hosts'));
    expect(got.map((r) => [r.host, r.packets, r.flows, r.servers, r.bytes_out, r.bytes_in])).toEqual([
      ['10.9.0.20', 41, 41, 1, 41 * 58, 41 * 88],
      ['10.9.0.21', 3, 3, 1, 3 * 58, 3 * 88],
      ['10.9.0.66', 1, 1, 1, 40, 0], // the scanner's SYN to port 53
    ]);
    expect(await rows(session, 'dns_heavy_hosts', { port: '5353' })).toEqual([]);
  });

  it('long_flows joins interim records back into one connection', async () => {
    const records = plain(await rows(session, "SELECT end_reason FROM flows WHERE src_ip = '10.9.0.30' ORDER BY start_time"));
    expect(records.length).toBeGreaterThanOrEqual(3);
    expect(records.slice(0, -1).every((r) => r.end_reason === 'active')).toBe(true);
    const got = plain(await rows(session, 'long_flows', { min_seconds: '500' }));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ src_ip: '10.9.0.30', dst_ip: '10.9.0.2', dst_port: 22, seconds: 1100, packets: 23, records: records.length });
    expect(await rows(session, 'long_flows')).toEqual([]);
  });

  it('long_flows joins the interim records of an ARP exchange too, whose proto is null', async () => {
    // A host and its gateway asking for each other every 30 s for 1 100 s: interim records every 300 s.
    const arp = Array.from({ length: 37 }, (_, i) => ({
      tsMicros: T0 + i * 30 * SECOND,
      frame: i % 2 === 0 ? arpFrame({ op: 'request', sender: '10.9.7.5', target: '10.9.7.1' }) : arpFrame({ op: 'reply', sender: '10.9.7.1', target: '10.9.7.5' }),
    }));
    const path = join(mkdtempSync(join(tmpdir(), 'mommy-arp-')), 'arp.duckdb');
    const store = await openStore(path);
    expect((await ingestCapture(store, writeCapture(arp), { activeTimeout: 300 })).status).toBe('complete');
    store.close();
    const arpSession = await ReadOnlySession.open({ db: path });
    try {
      const records = plain(await rows(arpSession, 'SELECT end_reason FROM flows ORDER BY start_time'));
      expect(records.length).toBeGreaterThanOrEqual(3);
      const got = plain(await rows(arpSession, 'long_flows', { min_seconds: '500' }));
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ src_ip: '10.9.7.5', dst_ip: '10.9.7.1', proto: null, seconds: 1080, packets: 37, records: records.length });
    } finally {
      arpSession.close();
    }
  });

  it('new_peers finds the pairs first seen in the last hours of the data', async () => {
    const got = plain(await rows(session, 'new_peers'));
    expect(got.map((r) => [r.host, r.peer, r.flows])).toEqual([['10.9.0.10', '10.9.0.99', 1]]);
    expect(await rows(session, 'new_peers', { host: '10.9.0.20' })).toEqual([]);
    const recent = plain(await rows(session, 'new_peers', { host: '10.9.0.53', hours: '1000' }));
    expect(recent.map((r) => [r.host, r.peer, r.flows])).toEqual([
      ['10.9.0.53', '10.9.0.20', 41],
      ['10.9.0.53', '10.9.0.21', 3],
    ]);
    // 10.9.0.1 with .10 and .66, 55 crawled hosts, two DNS clients, the SSH pair, the new web pair.
    expect(plain(await rows(session, 'new_peers', { since: '2023-11-14' }))).toHaveLength(61);
  });
});

// ---- the corpus against tshark ----------------------------------------------------

describe.skipIf(!haveCorpus || !haveTool('tshark'))('saved queries on the corpus, against tshark', () => {
  const files = ['ndpi_netflix.pcap', 'ndpi_synscan.pcap', 'ndpi_dns-tunnel-iodine.pcap'].map((f) => join(CORPUS_PCAPS, f));
  let corpus: ReadOnlySession;
  beforeAll(async () => {
    const path = join(dir, 'corpus.duckdb');
    const store = await openStore(path);
    for (const f of files) expect((await ingestCapture(store, f)).status).toBe('complete');
    store.close();
    corpus = await ReadOnlySession.open({ db: path });
  });
  afterAll(() => corpus?.close());

  it('top_talkers: every host and its bytes equal the sum of ip.len (IPv6: plen + 40) of its packets, and 28 per ARP message', async () => {
    const totals = new Map<string, number>();
    const add = (a: string, b: string, n: number) => {
      totals.set(a, (totals.get(a) ?? 0) + n);
      if (b !== a) totals.set(b, (totals.get(b) ?? 0) + n);
    };
    for (const f of files) {
      for (const [src, dst, len, src6, dst6, plen] of tsharkFields(f, ['ip.src', 'ip.dst', 'ip.len', 'ipv6.src', 'ipv6.dst', 'ipv6.plen'], 'ip || ipv6', ['-E', 'occurrence=f'])) {
        if (src) add(src, dst!, Number(len));
        else add(src6!, dst6!, Number(plen) + 40);
      }
      // ARP requests and replies for IPv4 over Ethernet are flows too (sender → target).
      for (const [sender, target] of tsharkFields(f, ['arp.src.proto_ipv4', 'arp.dst.proto_ipv4'], 'arp && arp.opcode <= 2 && arp.proto.type == 0x0800'))
        add(sender!, target!, 28);
    }
    const want = ranking(totals);
    const got = plain(await rows(corpus, 'top_talkers', { limit: '100000' }));
    expect(got.slice(0, 5).map((r) => ({ host: r.host, bytes: r.bytes }))).toEqual(want.slice(0, 5));
    expect(got.map((r) => ({ host: r.host, bytes: r.bytes }))).toEqual(want);
  });

  it('port_scan_candidates finds the scanner of ndpi_synscan.pcap', async () => {
    const got = plain(await rows(corpus, 'port_scan_candidates'));
    expect(got.map((r) => r.source)).toEqual(['172.16.0.8']);
    expect(got[0]!.ports).toBeGreaterThanOrEqual(1000);
  });

  it('dns_heavy_hosts: packets to port 53 per client, as tshark counts them', async () => {
    const counts = new Map<string, number>();
    for (const f of files)
      for (const [src] of tsharkFields(f, ['ip.src'], '(udp.dstport == 53 || tcp.dstport == 53) && !icmp', ['-E', 'occurrence=f']))
        counts.set(src!, (counts.get(src!) ?? 0) + 1);
    const got = plain(await rows(corpus, 'dns_heavy_hosts', { limit: '1000' }));
    expect(new Map(got.map((r) => [r.host, r.packets]))).toEqual(counts);
    expect(got[0]).toMatchObject({ host: '10.0.2.30', packets: 222 });
  });
});

// ---- a lake ----------------------------------------------------------------------

describe('a Parquet lake answers like the store', () => {
  const lake = join(dir, 'lake');
  beforeAll(async () => {
    // The layout `mommy-forensics export` writes: <table>/date=YYYY-MM-DD/sensor=NAME/*.parquet.
    mkdirSync(lake);
    const store = await openStore(dbPath, { readOnly: true });
    for (const table of ['flows', 'alerts']) {
      const time = table === 'flows' ? 't.start_time' : 't.alert_time';
      await store.run(`COPY (SELECT t.*, strftime(${time}, '%Y-%m-%d') AS date, c.sensor FROM ${table} t JOIN captures c USING (capture_id))
        TO '${join(lake, table)}' (FORMAT parquet, PARTITION_BY (date, sensor))`);
    }
    store.close();
  });

  const queries: [string, Record<string, string>][] = [
    ['SELECT proto, conn_state, count(*) AS n, sum(bytes_fwd + bytes_rev) AS bytes FROM flows GROUP BY ALL ORDER BY ALL', {}],
    ['SELECT * EXCLUDE (date, sensor) FROM alerts ORDER BY alert_id', {}],
    ['top_talkers', { limit: '1000' }],
    ['host_flows', { host: '10.9.0.1' }],
    ['long_flows', { min_seconds: '1' }],
    ['port_scan_candidates', { min_failed_share: '0' }],
    ['dns_heavy_hosts', {}],
    ['new_peers', { hours: '1000' }],
  ];

  for (const spec of ['DIR', 'DIR/**/*.parquet'])
    it(`gives the same rows for the same SQL (--lake ${spec})`, async () => {
      const onLake = await ReadOnlySession.open({ lake: spec.replace('DIR', lake) });
      try {
        expect(onLake.lakeTables).toEqual(['flows', 'alerts']);
        for (const [sql, params] of queries) {
          const want = plain(await rows(session, sql.replace(' EXCLUDE (date, sensor)', ''), params));
          expect(want.length, sql).toBeGreaterThan(0);
          expect(plain(await rows(onLake, sql, params)), sql).toEqual(want);
        }
        expect(plain(await rows(onLake, 'SELECT sensor, count(*) AS n FROM flows GROUP BY ALL ORDER BY ALL'))).toEqual(
          plain(await rows(session, 'SELECT c.sensor, count(*) AS n FROM flows JOIN captures c USING (capture_id) GROUP BY ALL ORDER BY ALL')),
        );
      } finally {
        onLake.close();
      }
    });

  it('takes a glob of one table, or one file, and reads nothing else', async () => {
    const flowsOnly = await ReadOnlySession.open({ lake: join(lake, 'flows', 'date=2023-11-16', '**', '*.parquet') });
    try {
      expect(flowsOnly.lakeTables).toEqual(['flows']);
      expect(plain(await rows(flowsOnly, 'SELECT count(*) AS n, any_value(sensor) AS s FROM flows'))).toEqual([{ n: 2, s: 'beta' }]);
      await expect(rows(flowsOnly, `SELECT count(*) FROM read_parquet('${join(lake, 'alerts', '**', '*.parquet')}')`)).rejects.toThrow(/disabled by configuration/);
    } finally {
      flowsOnly.close();
    }
    expect(tableOf('/x/alerts/lake/flows/date=1/sensor=alerts/a.parquet')).toBe('flows');
    expect(tableOf('/x/exports/a.parquet')).toBe('flows');
  });

  it('says when nothing matches', async () => {
    await expect(ReadOnlySession.open({ lake: join(dir, 'nowhere') })).rejects.toThrow(/nowhere: no such file or directory/);
    await expect(ReadOnlySession.open({ lake: join(lake, '**', '*.csv') })).rejects.toThrow(/no Parquet files match/);
  });

  it.skipIf(!('exportStore' in core))('reads what mommy-forensics export writes', async () => {
    const out = join(dir, 'exported');
    const store = await openStore(dbPath, { readOnly: true });
    await (core as unknown as { exportStore: (s: unknown, o: { out: string }) => Promise<unknown> }).exportStore(store, { out });
    store.close();
    const exported = await ReadOnlySession.open({ lake: out });
    try {
      for (const [sql, params] of queries.filter(([q]) => !q.includes('alerts')))
        expect(plain(await rows(exported, sql, params)), sql).toEqual(plain(await rows(session, sql, params)));
    } finally {
      exported.close();
    }
  });
});
