/** `mommy-forensics flows` end to end: formats, summary, exit codes, damage. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';

import { runCli } from './support/cli.js';
import { icmpPing, tcpSession, udpExchange } from '@mommynet/core/synth';
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
