/** `mommy-forensics flows` end to end: formats, summary, exit codes, damage. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';

import { Capture, FLOW_COLUMNS, type FlowRecord, flowRecords, isoMicros } from '@mommynet/core/flows';
import { arpFrame, icmpPing, tcpSession, udpExchange } from '@mommynet/core/synth';
import { runCli } from './support/cli.js';
import { REPO_ROOT } from './support/corpus.js';
import { writeCapture } from './support/synthetic.js';

const enc = new TextEncoder();
const dir = mkdtempSync(join(tmpdir(), 'mommy-cli-'));
const frames = [
  ...tcpSession({ client: '10.2.0.2', server: '10.2.0.1', clientPort: 40000, serverPort: 443, exchanges: [{ fromClient: true, payload: enc.encode('hello, "world"') }] }),
  ...udpExchange({ client: '10.2.0.2', server: '10.2.0.53', clientPort: 5000, serverPort: 53, requests: [enc.encode('q')], responses: [enc.encode('a')] }),
  ...icmpPing({ client: '10.2.0.2', server: '10.2.0.1', identifier: 1, count: 2 }),
];
const capture = writeCapture(frames);

describe('mommy-forensics flows', () => {
  it('prints one JSON line per flow with ISO-8601 UTC times', () => {
    const r = runCli(['flows', capture]);
    expect(r.status).toBe(0);
    const flows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(flows.map((f) => [f.proto, f.src_ip, f.dst_port, f.conn_state])).toEqual([
      [6, '10.2.0.2', 443, 'SF'],
      [17, '10.2.0.2', 53, 'SF'],
      [1, '10.2.0.2', 0, 'OTH'],
    ]);
    expect(flows[0].start_time).toBe('2023-11-14T22:13:20.000000Z');
    expect(flows[0].community_id).toMatch(/^1:[A-Za-z0-9+/]{27}=$/);
    expect(flows[0]).not.toHaveProperty('payload_fwd');
  });

  it('adds payload prefixes as base64 only when asked', () => {
    const flows = runCli(['flows', capture, '--payload']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(Buffer.from(flows[0].payload_fwd, 'base64').toString()).toBe('hello, "world"');
  });

  it('writes CSV with a header and RFC 4180 quoting', () => {
    const r = runCli(['flows', capture, '-f', 'csv', '--payload']);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]!.split(',').slice(0, 4)).toEqual(['src_ip', 'src_port', 'dst_ip', 'dst_port']);
    expect(lines).toHaveLength(4);
  });

  it('writes Parquet that DuckDB reads back', async () => {
    const out = join(dir, 'flows.parquet');
    const r = runCli(['flows', capture, '-o', out]);
    expect(r.status).toBe(0);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const rows = (
      await conn.runAndReadAll(`SELECT proto, pkts_fwd + pkts_rev AS pkts, typeof(start_time) AS t FROM read_parquet('${out}') ORDER BY proto`)
    ).getRowObjects();
    expect(rows.map((x) => [x.proto, Number(x.pkts), x.t])).toEqual([
      [1, 4, 'TIMESTAMP'],
      [6, 8, 'TIMESTAMP'],
      [17, 2, 'TIMESTAMP'],
    ]);
    conn.closeSync();
    db.closeSync();
  });

  it('writes a --stats summary line to stderr', () => {
    const r = runCli(['flows', capture, '--stats', '-o', join(dir, 'x.jsonl')]);
    const summary = JSON.parse(r.stderr.trim());
    expect(summary).toMatchObject({ captures: 1, packets: frames.length, decoded: frames.length, skipped: 0, flows: 3, evictions: 0, errors: [] });
    expect(summary.seconds).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(dir, 'x.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('reads a capture from a pipe', () => {
    const r = runCli(['flows', '/dev/stdin'], { input: readFileSync(capture) });
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('keeps the flows before the damage of a cut file and exits 3', () => {
    const bytes = readFileSync(capture);
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 30));
    const r = runCli(['flows', cut, '--stats']);
    expect(r.status).toBe(3);
    expect(r.stdout.trim().split('\n').length).toBe(3);
    expect(r.stderr).toMatch(/cut\.pcap: file ends inside a record .* \(at byte \d+\)/);
    const summary = JSON.parse(r.stderr.trim().split('\n').at(-1)!);
    expect(summary.errors[0]).toMatchObject({ code: 'truncated' });
    expect(summary.packets).toBe(frames.length - 1);
  });

  it('names a missing file and goes on with the others, exit 2', () => {
    const r = runCli(['flows', join(dir, 'missing.pcap'), capture]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('missing.pcap: No such file or directory');
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('refuses a file that is not a capture, exit 2', () => {
    const text = join(dir, 'notes.pcap');
    writeFileSync(text, 'just some text\n');
    const r = runCli(['flows', text]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/notes\.pcap: not a pcap or pcapng file \(magic 0x6a757374\)/);
  });

  it('answers usage errors with exit 1 and one line', () => {
    expect(runCli(['flows']).status).toBe(1);
    const r = runCli(['flows', capture, '--max-flows', '0']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^mommy-forensics: option 'maxFlows' must be an integer from 1/);
    expect(runCli(['flow', capture]).stderr).toMatch(/Did you mean flows/);
  });

  it('stops quietly when the reader of its output goes away', () => {
    const many = writeCapture(
      Array.from({ length: 3000 }, (_, i) => udpExchange({ client: '10.3.0.2', server: '10.3.0.1', clientPort: 1024 + i, serverPort: 53, requests: [enc.encode('q')] })).flat(),
    );
    const out = execFileSync('sh', ['-c', `node packages/cli/bin/mommy-forensics.js flows ${many} | head -n 2; echo "status=\${PIPESTATUS:-0}"`], {
      encoding: 'utf8',
      cwd: join(import.meta.dirname, '..'),
    });
    expect(out.split('\n').filter((l) => l.startsWith('{'))).toHaveLength(2);
  });
});

/** ISO-8601 with microseconds, made from a Date alone: what isoMicros must agree with. */
const isoByDate = (us: number) => `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 23)}${String(us % 1000).padStart(3, '0')}Z`;

describe('flow text', () => {
  it('formats times as a Date does, across seconds and back', () => {
    const times = [0, 1, 999_999, 1_000_000, 1_700_000_000_000_000, 1_700_000_000_999_999, 1_700_000_001_000_000, 1_699_999_999_999_999, 4_102_444_799_999_999];
    let t = 1_700_000_000_000_000;
    for (let i = 0; i < 2000; i++) times.push((t += (i * 7919) % 1_300_001)); // steps within a second and across
    times.push(...times.slice(0, 50).reverse());
    for (const us of times) expect(isoMicros(us), String(us)).toBe(isoByDate(us));
    // Fractions of a microsecond (averaged times) round to the nearest, across a second too.
    for (const us of [1.4, 999_999.6, 1_700_000_000_123_456.5 - 0.25, 1_700_000_000_999_999.7]) expect(isoMicros(us), String(us)).toBe(isoByDate(Math.round(us)));
    expect(() => isoMicros(1e22)).toThrow(RangeError);
  });

  // Lines as JSON.stringify of each flow record, and CSV fields as the values, computed here
  // from flowRecords; the capture has ARP (null proto and Community ID) and payloads.
  const mixed = writeCapture([
    ...frames,
    arpFrame({ op: 'request', sender: '10.2.0.2', target: '10.2.0.1' }),
    arpFrame({ op: 'reply', sender: '10.2.0.1', target: '10.2.0.2' }),
  ]);
  const expected = async (path: string, payload: boolean) => {
    const columns = FLOW_COLUMNS.filter((c) => payload || c.type !== 'binary');
    const shown = (c: (typeof FLOW_COLUMNS)[number], v: FlowRecord[string]) =>
      v === null ? null : c.type === 'timestamp_us' ? isoByDate(v as number) : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v;
    const rows: (string | number | null)[][] = [];
    for await (const batch of Capture.openFile(path, { batchRows: 64 })) for (const r of flowRecords(batch)) rows.push(columns.map((c) => shown(c, r[c.name]!)));
    return { names: columns.map((c) => c.name), rows };
  };

  for (const [name, path] of [['a capture with ARP and payloads', mixed], ['the sample capture', join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap')]] as const) {
    it(`writes each flow record of ${name} as JSON and CSV`, async () => {
      const { names, rows } = await expected(path, true);
      expect(rows.length).toBeGreaterThanOrEqual(4);
      if (path === mixed) expect(rows.some((r) => r.includes(null))).toBe(true);
      const json = runCli(['flows', path, '--payload']).stdout.trim().split('\n');
      expect(json).toEqual(rows.map((r) => JSON.stringify(Object.fromEntries(names.map((n, i) => [n, r[i]])))));
      const csv = runCli(['flows', path, '-f', 'csv']).stdout.trim().split('\n');
      const unquoted = await expected(path, false);
      expect(csv).toEqual([unquoted.names.join(','), ...unquoted.rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(','))]);
    });
  }
});
