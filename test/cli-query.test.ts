/**
 * `mommy-forensics query` and `queries` end to end: every kind of forbidden
 * statement refused with exit 1 and the database byte for byte unchanged,
 * output formats (escaping for terminals, exact numbers, Parquet read back),
 * DuckDB's errors with their caret, exit codes. Most runs call the command's
 * main() in this process (fast); a few run the real binary.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { main } from '@mommynet/cli/dist/main.js';
import { tcpSession, udpExchange } from '@mommynet/core/synth';
import { beforeAll, describe, expect, it } from 'vitest';

import { type CliResult, runCli } from './support/cli.js';
import { REPO_ROOT } from './support/corpus.js';
import { importGraph } from './support/imports.js';
import { writeCapture } from './support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'mommy-cli-query-'));
const caseDir = join(dir, 'case'); // holds the database, and nothing may appear beside it
const allowed = join(dir, 'allowed'); // given with --allow
const outside = join(dir, 'outside'); // never given
const db = join(caseDir, 'case.duckdb');
const enc = new TextEncoder();
const ESC = '\x1b';
const request = `GET /${ESC}]0;pwned\x07${ESC}[2J\r\n`;

process.stdout.setMaxListeners(0);
process.stderr.setMaxListeners(0);

/** The command in this process, with its standard output and error captured. */
async function run(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const capture = (into: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stdout.write;
  const [stdoutWrite, stderrWrite] = [process.stdout.write, process.stderr.write];
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    await main(args);
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
  const status = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { status, stdout: out.join(''), stderr: err.join('') };
}

const query = (...args: string[]) => run(['query', '--db', db, ...args]);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeAll(async () => {
  for (const d of [caseDir, allowed, outside]) mkdirSync(d);
  const capture = writeCapture([
    ...tcpSession({
      client: '10.8.0.10', server: '10.8.0.1', clientPort: 40000, serverPort: 443,
      exchanges: [{ fromClient: true, payload: enc.encode(request) }, { fromClient: false, payload: new Uint8Array(300).fill(0x41) }],
    }),
    ...udpExchange({ client: '10.8.0.10', server: '10.8.0.53', clientPort: 5000, serverPort: 53, requests: [enc.encode('q')], responses: [enc.encode('a')] }),
    ...tcpSession({ client: '10.8.0.11', server: '10.8.0.1', clientPort: 40001, serverPort: 22, ending: 'refused' }),
  ]);
  const r = await run(['ingest', capture, '--db', db, '--quiet']);
  expect(r.status, r.stderr).toBe(0);
  writeFileSync(join(allowed, 'iocs.csv'), 'ip,label\n10.8.0.1,server\n');
  writeFileSync(join(outside, 'secret.csv'), 'secret\n42\n');
  const mem = await DuckDBInstance.create(':memory:');
  const c = await mem.connect();
  await c.run(`COPY (SELECT 42 AS secret) TO '${join(outside, 'secret.parquet')}' (FORMAT parquet)`);
  c.closeSync();
  mem.closeSync();
});

// ---- read-only ------------------------------------------------------------------

const refusedAs = (name: string) => new RegExp(`^mommy-forensics: refused: ${name} is not allowed, queries are read-only \\(SELECT, `);
const fileAccessOff = (path: string) => new RegExp(`Permission Error: Cannot access (file|directory) "${path.replace(/[.*?[\]()]/g, '\\$&')}[^"]*" - file system operations are disabled by configuration`);

/** [what, SQL, expected error, extra arguments] */
const FORBIDDEN: [string, string, RegExp, string[]?][] = [
  ['INSERT', 'INSERT INTO flows SELECT * FROM flows', refusedAs('INSERT')],
  ['INSERT after WITH (typed by DuckDB)', 'WITH x AS (SELECT 1) INSERT INTO flows SELECT * FROM flows', refusedAs('INSERT')],
  ['UPDATE', 'UPDATE flows SET proto = 0', refusedAs('UPDATE')],
  ['DELETE', 'DELETE FROM flows', refusedAs('DELETE')],
  ['MERGE', 'MERGE INTO flows USING (SELECT 1 AS x) s ON false WHEN NOT MATCHED THEN DO NOTHING', refusedAs('MERGE')],
  ['CREATE TABLE', 'CREATE TABLE t AS SELECT 1 AS x', refusedAs('CREATE')],
  ['CREATE TEMP TABLE', 'CREATE TEMP TABLE t (x INTEGER)', refusedAs('CREATE')],
  ['CREATE MACRO', 'CREATE MACRO m() AS 1', refusedAs('CREATE')],
  ['DROP', 'DROP TABLE flows', refusedAs('DROP')],
  ['ALTER', 'ALTER TABLE flows ADD COLUMN x INTEGER', refusedAs('ALTER')],
  ['ATTACH', `ATTACH '${join(caseDir, 'other.duckdb')}' AS other`, refusedAs('ATTACH')],
  ['DETACH', 'DETACH "case"', refusedAs('DETACH')],
  ['USE', 'USE memory', refusedAs('USE')],
  ['INSTALL', 'INSTALL httpfs', refusedAs('INSTALL')],
  ['LOAD', 'LOAD parquet', refusedAs('LOAD')],
  ['COPY ... TO', `COPY flows TO '${join(caseDir, 'out.csv')}'`, refusedAs('COPY')],
  ['COPY ... TO an allowed directory', `COPY (SELECT 1) TO '${join(allowed, 'out.csv')}'`, refusedAs('COPY'), ['--allow', allowed]],
  ['COPY ... FROM', `COPY flows FROM '${join(allowed, 'iocs.csv')}'`, refusedAs('COPY'), ['--allow', allowed]],
  ['EXPORT DATABASE', `EXPORT DATABASE '${join(caseDir, 'exported')}'`, refusedAs('EXPORT')],
  ['IMPORT DATABASE', `IMPORT DATABASE '${join(allowed)}'`, refusedAs('IMPORT'), ['--allow', allowed]],
  ['SET of file access', 'SET enable_external_access = true', refusedAs('SET')],
  ['SET of the lock', 'SET lock_configuration = false', refusedAs('SET')],
  ['SET of allowed directories', "SET allowed_directories = ['/']", refusedAs('SET')],
  ['RESET', 'RESET lock_configuration', refusedAs('RESET')],
  ['SET VARIABLE', 'SET VARIABLE x = 1', refusedAs('SET')],
  ['PRAGMA that changes settings', 'PRAGMA enable_profiling', refusedAs('PRAGMA')],
  ['PRAGMA that writes a file', `PRAGMA profiling_output = '${join(caseDir, 'profile.txt')}'`, refusedAs('PRAGMA')],
  ['PRAGMA checkpoint', 'PRAGMA force_checkpoint', refusedAs('PRAGMA')],
  ['CHECKPOINT', 'CHECKPOINT', refusedAs('CHECKPOINT')],
  ['VACUUM', 'VACUUM', refusedAs('VACUUM')],
  ['CALL', 'CALL checkpoint()', refusedAs('CALL')],
  ['BEGIN', 'BEGIN TRANSACTION', refusedAs('BEGIN')],
  ['PREPARE', 'PREPARE p AS SELECT 1', refusedAs('PREPARE')],
  ['EXPLAIN ANALYZE of COPY', `EXPLAIN ANALYZE COPY (SELECT 1) TO '${join(allowed, 'x.csv')}'`, refusedAs('EXPLAIN of COPY'), ['--allow', allowed]],
  ['EXPLAIN ANALYZE of CREATE', 'EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1', refusedAs('EXPLAIN of CREATE')],
  ['a second statement', 'SELECT 1; DROP TABLE flows', /^mommy-forensics: give one SQL statement, not 2\n$/],
  ['a SELECT that writes (nextval)', "SELECT nextval('capture_ids')", /Cannot execute statement of type "SELECT" on database "case" which is attached in read-only mode/],
  ['read_csv outside the allowed paths', "SELECT * FROM read_csv('/etc/passwd')", fileAccessOff('/etc/passwd')],
  ['read_csv beside an allowed file', `SELECT * FROM read_csv('${join(outside, 'secret.csv')}')`, fileAccessOff(join(outside, 'secret.csv')), ['--allow', join(allowed, 'iocs.csv')]],
  ['read_parquet outside', `SELECT * FROM read_parquet('${join(outside, 'secret.parquet')}')`, fileAccessOff(join(outside, 'secret.parquet'))],
  ['a Parquet file named in FROM', `SELECT * FROM '${join(outside, 'secret.parquet')}'`, fileAccessOff(join(outside, 'secret.parquet'))],
  ['read_text', "SELECT * FROM read_text('/etc/hostname')", fileAccessOff('/etc/hostname')],
  ['read_blob of a file beside the database', `SELECT * FROM read_blob('${join(caseDir, 'notes.txt')}')`, fileAccessOff(join(caseDir, 'notes.txt'))],
  ['glob', "SELECT * FROM glob('/etc/*')", fileAccessOff('/etc/*')],
  ['a path escaping an allowed directory', `SELECT * FROM read_csv('${join(allowed, '..', 'outside', 'secret.csv')}')`, /disabled by configuration/, ['--allow', allowed]],
];

describe('query is read-only', () => {
  let before: { hash: string; files: string[] };
  beforeAll(() => {
    before = { hash: sha256(db), files: readdirSync(caseDir).sort() };
  });

  for (const [what, sql, error, extra = []] of FORBIDDEN)
    it(`refuses ${what}`, async () => {
      const r = await query(sql, ...extra);
      expect(r.stderr).toMatch(error);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
    });

  it('reads what --allow names, and nothing else', async () => {
    const iocs = join(allowed, 'iocs.csv');
    const sql = `SELECT f.src_ip, i.label FROM flows f JOIN read_csv('${iocs}') i ON f.dst_ip = i.ip ORDER BY ALL`;
    const r = await query(sql, '--allow', iocs, '-f', 'csv');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('src_ip,label\n10.8.0.10,server\n10.8.0.11,server\n');
    expect((await query(sql)).stderr).toMatch(fileAccessOff(iocs));
  });

  it('left the database file byte for byte unchanged, and nothing new beside it', () => {
    expect(sha256(db)).toBe(before.hash);
    expect(readdirSync(caseDir).sort()).toEqual(before.files);
    expect(readdirSync(allowed)).toEqual(['iocs.csv']);
  });

  it('the real binary refuses too', () => {
    const hash = sha256(db);
    const r = runCli(['query', '--db', db, 'DROP TABLE flows']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(refusedAs('DROP'));
    expect(sha256(db)).toBe(hash);
  });
});

// ---- output -----------------------------------------------------------------------

const WEB = "SELECT src_ip, dst_port, decode(payload_fwd) AS request, payload_fwd, bytes_rev FROM flows WHERE dst_port = 443";

describe('query output', () => {
  it('table: aligned, escaped, BLOBs as hex, numbers right-aligned', async () => {
    const r = await query(WEB, '--max-width', '0');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/); // nothing raw but the newlines
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^src_ip\s+dst_port\s+request\s+payload_fwd\s+bytes_rev$/);
    expect(lines[1]).toMatch(/^-+ {2}-+ {2}-+ {2}-+ {2}-+$/);
    expect(lines[2]).toContain('GET /\\x1b]0;pwned\\x07\\x1b[2J\\x0d\\x0a');
    expect(lines[2]).toContain(Buffer.from(request).toString('hex'));
    expect(lines[2]).toMatch(/ 460$/); // SYN-ACK, ACK, 300 bytes + 40, FIN-ACK: right-aligned under bytes_rev
    expect(lines[3]).toBe('(1 row)');
    expect(lines[0]!.indexOf('dst_port') + 'dst_port'.length).toBe(lines[2]!.indexOf('443') + 3);
  });

  it('table: cuts long cells, never inside an escape, and counts the rows it leaves out', async () => {
    const cut = await query(WEB, '--max-width', '12');
    expect(cut.stdout.split('\n')[2]).toContain('  GET /\\x1b]0…  4745'); // 12 characters, the last one '…'
    const some = await query('SELECT * FROM range(5)', '--max-rows', '2');
    expect(some.stdout.split('\n').slice(2)).toEqual(['    0', '    1', '(2 of 5 rows shown: raise --max-rows, or use -f csv)', '']);
    expect((await query("SELECT 'a\\b' AS \"x\x1b[31m\"")).stdout.split('\n')[0]).toBe('x\\x1b[31m');
    expect((await query('SELECT 1 WHERE false')).stdout).toBe('1\n-\n(0 rows)\n');
  });

  it('csv: header, RFC 4180 quoting, BLOBs base64, values as they are when not on a terminal', async () => {
    const r = await query(WEB, '-f', 'csv');
    expect(r.stdout.split('\n')[0]).toBe('src_ip,dst_port,request,payload_fwd,bytes_rev');
    const [, , text, payload, bytes] = /^(.*?),(.*?),"([^"]*)",(.*),(\d+)$/s.exec(r.stdout.split('\n').slice(1).join('\n').trim())!.slice(1);
    expect(text).toBe(request);
    expect(Buffer.from(payload!, 'base64').toString()).toBe(request);
    expect(bytes).toBe('460');
  });

  it('json and jsonl: exact integers, base64 BLOBs, escaped control characters, JSON columns embedded', async () => {
    const sql = `SELECT 18446744073709551615::UBIGINT AS big, 1.50::DECIMAL(5,2) AS d, TIMESTAMP '2025-06-01 12:00:00.5' AS t,
      '${ESC}[2J' || chr(8238) AS s, '\\x00\\xff'::BLOB AS b, [1, 2] AS l, '{"a": [1]}'::JSON AS j, NULL AS n, 1 AS x, 2 AS x`;
    const jsonl = await query(sql, '-f', 'jsonl');
    expect(jsonl.stdout).toBe(
      '{"big":18446744073709551615,"d":1.50,"t":"2025-06-01T12:00:00.500000Z","s":"\\u001b[2J\\u202e","b":"AP8=","l":[1,2],"j":{"a": [1]},"n":null,"x":1,"x_1":2}\n',
    );
    const json = await query(sql, '-f', 'json');
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toHaveLength(1);
    expect(parsed[0].s).toBe(`${ESC}[2J\u202e`);
    expect(JSON.parse((await query('SELECT 1 WHERE false', '-f', 'json')).stdout)).toEqual([]);
    const flows = (await query('SELECT * FROM flows ORDER BY start_time', '-f', 'jsonl')).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(flows.map((f) => [f.dst_port, f.conn_state])).toEqual([[443, 'SF'], [53, 'SF'], [22, 'REJ']]);
    expect(flows[0].start_time).toBe('2023-11-14T22:13:20.000000Z');
  });

  it('jsonl: DEL escaped beside plain ASCII, and times within, across and back over seconds', async () => {
    const times = ['2025-06-01 12:00:00.5', '2025-06-01 12:00:00.75', '2025-06-01 12:00:01', '1969-12-31 23:59:59.999999', '2025-06-01 12:00:00.25'];
    const sql = `SELECT 'GET /a' || chr(127) || 'b' AS s, t FROM (VALUES ${times.map((t, i) => `(${i}, TIMESTAMP '${t}')`).join(', ')}) v(i, t) ORDER BY i`;
    const rows = (await query(sql, '-f', 'jsonl')).stdout.trim().split('\n');
    expect(rows[0]).toBe('{"s":"GET /a\\u007fb","t":"2025-06-01T12:00:00.500000Z"}');
    expect(rows.map((l) => JSON.parse(l).t)).toEqual(['2025-06-01T12:00:00.500000Z', '2025-06-01T12:00:00.750000Z', '2025-06-01T12:00:01.000000Z', '1969-12-31T23:59:59.999999Z', '2025-06-01T12:00:00.250000Z']);
  });

  it('parquet: written by a separate DuckDB, read back equal', async () => {
    const out = join(dir, 'talkers.parquet');
    const r = await query('--saved', 'top_talkers', '-o', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const want = (await query('--saved', 'top_talkers', '-f', 'jsonl')).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const mem = await DuckDBInstance.create(':memory:');
    const c = await mem.connect();
    const back = (await c.runAndReadAll(`SELECT * FROM '${out}'`)).getRowObjectsJS();
    const types = (await c.runAndReadAll(`SELECT column_type FROM (DESCRIBE SELECT * FROM '${out}')`)).getRowsJS().map((x) => x[0]);
    c.closeSync();
    mem.closeSync();
    expect(back.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])))).toEqual(want);
    expect(types).toEqual(['VARCHAR', 'UBIGINT', 'UBIGINT', 'UBIGINT', 'UBIGINT', 'BIGINT', 'BIGINT']);
    expect((await query('SELECT 1', '-f', 'parquet')).stderr).toMatch(/parquet output needs a file: use -o FILE.parquet/);
  });

  it('binds --param values into ad-hoc SQL', async () => {
    const r = await query('SELECT count(*) AS n FROM flows WHERE dst_port = $port', '-p', 'port=443', '-f', 'csv');
    expect(r.stdout).toBe('n\n1\n');
    const injected = await query('SELECT count(*) AS n FROM flows WHERE src_ip = $ip', '-p', "ip=x' OR 1=1 --", '-f', 'csv');
    expect(injected.stdout).toBe('n\n0\n');
  });
});

// ---- saved queries and errors -------------------------------------------------------

describe('query errors and exit codes', () => {
  it('a syntax error: DuckDB\'s message, then its LINE and a caret under the place', async () => {
    const r = await query('SELEC * FROM flows');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('mommy-forensics: Parser Error: syntax error at or near "SELEC"\nLINE 1: SELEC * FROM flows\n        ^\n');
  });

  it('a binder error on a later line', async () => {
    const r = await query('SELECT src_ip,\n  nope FROM flows');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mommy-forensics: Binder Error: Referenced column "nope" not found in FROM clause!; Candidate bindings: .*\nLINE 2: {3}nope FROM flows\n {10}\^\n$/);
  });

  it('keeps the caret under its place when control characters before it are escaped', async () => {
    const r = await query("SELECT '\x01\x1b' AS c,\tnope FROM flows");
    const [, line, caret] = r.stderr.split('\n');
    expect(line).toBe("LINE 1: SELECT '\\x01\\x1b' AS c,\\x09nope FROM flows");
    expect(caret!.indexOf('^')).toBe(line!.indexOf('nope'));
  });

  it('an error while rows are read exits 1 too', async () => {
    const r = await query('SELECT CAST(src_ip AS INTEGER) FROM flows');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mommy-forensics: Conversion Error: Could not convert string '10\.8\.0\.\d+' to INT32/);
  });

  it('saved queries: unknown names and parameters are one-line errors, exit 1', async () => {
    const cases: [string[], RegExp][] = [
      [['--saved', 'top_talker'], /^mommy-forensics: no saved query "top_talker" \(saved queries: top_talkers, host_flows, /],
      [['--saved', 'top_talkers', '-p', 'limt=3'], /^mommy-forensics: top_talkers has no parameter "limt" \(parameters: limit, since, until\)$/],
      [['--saved', 'top_talkers', '-p', 'limit=many'], /^mommy-forensics: top_talkers: parameter limit: "many" is not an integer$/],
      [['--saved', 'host_flows'], /^mommy-forensics: host_flows needs --param host=VALUE \(the host address\)$/],
      [['--saved', 'top_talkers', '-p', 'limit'], /^mommy-forensics: --param "limit": give NAME=VALUE$/],
      [['SELECT $x'], /^mommy-forensics: the SQL needs --param x=VALUE for \$x$/],
      [['SELECT 1', '--saved', 'top_talkers'], /^mommy-forensics: give SQL or --saved NAME, not both$/],
      [[], /^mommy-forensics: give SQL, or --saved NAME/],
      [['SELECT 1', '--lake', dir], /mutually exclusive/],
      [['SELECT 1', '--max-rows', '-1'], /--max-rows must be a whole number/],
    ];
    for (const [args, message] of cases) {
      const r = await query(...args);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trim(), args.join(' ')).toMatch(message);
      expect(r.status, args.join(' ')).toBe(1);
    }
  });

  it('runs a saved query with typed parameters', async () => {
    const r = await query('--saved', 'host_flows', '-p', 'host=10.8.0.1', '-f', 'jsonl');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).peer)).toEqual(['10.8.0.10', '10.8.0.11']);
  });

  it('an output that cannot be written: exit 5', async () => {
    for (const out of ['x.csv', 'x.parquet']) {
      const r = await query('SELECT 1 AS a', '-o', join(dir, 'no', 'such', out));
      expect(r.stderr).toMatch(/^mommy-forensics: cannot write/);
      expect(r.status).toBe(5);
    }
  });

  it('a database or lake that cannot be opened: exit 6', async () => {
    const missing = await run(['query', '--db', join(dir, 'missing.duckdb'), 'SELECT 1']);
    expect(missing.status).toBe(6);
    expect(missing.stderr).toMatch(/missing\.duckdb: no such database/);
    writeFileSync(join(outside, 'not.duckdb'), 'not a database at all, just text\n'.repeat(200));
    const bogus = await run(['query', '--db', join(outside, 'not.duckdb'), 'SELECT 1']);
    expect(bogus.status).toBe(6);
    const empty = await run(['query', '--lake', join(outside, '*.nothing'), 'SELECT 1']);
    expect(empty.stderr).toMatch(/no Parquet files match/);
    expect(empty.status).toBe(6);
  });

  it('--lake runs the same SQL over Parquet files', async () => {
    // The layout `mommy-forensics export` writes, made here with DuckDB's own COPY.
    const lake = join(dir, 'lake');
    mkdirSync(lake);
    const mem = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
    const c = await mem.connect();
    await c.run(`COPY (SELECT *, strftime(start_time, '%Y-%m-%d') AS date, 'lab' AS sensor FROM flows) TO '${join(lake, 'flows')}' (FORMAT parquet, PARTITION_BY (date, sensor))`);
    c.closeSync();
    mem.closeSync();
    const sql = 'SELECT src_ip, dst_port, bytes_fwd FROM flows ORDER BY ALL';
    const onLake = await run(['query', '--lake', `${lake}/**/*.parquet`, sql, '-f', 'csv']);
    expect(onLake.status, onLake.stderr).toBe(0);
    expect(onLake.stdout).toBe((await query(sql, '-f', 'csv')).stdout);
    const sensors = await run(['query', '--lake', lake, 'SELECT DISTINCT sensor, date FROM flows', '-f', 'csv']);
    expect(sensors.stdout).toBe('sensor,date\nlab,2023-11-14\n');
  });
});

describe('mommy-forensics queries', () => {
  it('lists every saved query with its parameters and defaults', async () => {
    const r = await run(['queries']);
    expect(r.status).toBe(0);
    for (const name of ['top_talkers', 'host_flows', 'long_flows', 'port_scan_candidates', 'dns_heavy_hosts', 'new_peers'])
      expect(r.stdout).toMatch(new RegExp(`^${name} +\\S`, 'm'));
    expect(r.stdout).toMatch(/^ {2}--param limit=10 +how many hosts \(integer\)$/m);
    expect(r.stdout).toMatch(/^ {2}--param host=IP +the host address \(ip, required\)$/m);
  });

  it('shows one with its SQL, or as JSON', async () => {
    expect((await run(['queries', 'top_talkers'])).stdout).toContain('LIMIT $limit');
    const json = JSON.parse((await run(['queries', '-f', 'json'])).stdout);
    expect(json[1]).toMatchObject({ name: 'host_flows', parameters: [{ name: 'host', type: 'ip', required: true, default: null }, { name: 'limit', default: 1000 }, {}, {}] });
    const r = await run(['queries', 'nope']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mommy-forensics: no saved query "nope"/);
  });

  it('the real binary lists them too', () => {
    const r = runCli(['queries']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('port_scan_candidates');
  });
});

describe('start-up', () => {
  const cliDist = join(REPO_ROOT, 'packages', 'cli', 'dist');

  it('--help lists every command, and the command run brings its options', () => {
    const help = runCli(['--help']);
    expect(help.status).toBe(0);
    for (const name of ['flows', 'query', 'queries', 'ingest', 'alerts', 'export', 'extract', 'evaluate', 'simulate', 'train', 'models'])
      expect(help.stdout).toMatch(new RegExp(`^  mommy-forensics ${name}\\b`, 'm'));
    const query = runCli(['query', '--help']);
    expect(query.status).toBe(0);
    expect(query.stdout).toMatch(/--saved/);
    expect(query.stdout).not.toMatch(/--intel/); // ingest's
  });

  it('loads only yargs before a command is chosen, only DuckDB for the commands that read the store and extract, only Arrow for flows', () => {
    expect(importGraph(join(cliDist, 'main.js')).packages).toEqual(['yargs (from packages/cli/dist/main.js)']);
    const loads = (command: string, entry: string, allowed: string) => {
      const graph = importGraph(join(cliDist, 'commands', `${command}.js`));
      expect(graph.files.some((f) => f.endsWith(join('core', 'dist', entry))), command).toBe(true);
      expect(graph.packages.filter((p) => !p.startsWith(`${allowed} `)), command).toEqual([]);
    };
    for (const command of ['query', 'queries', 'alerts', 'export']) loads(command, join('store', 'index.js'), '@duckdb/node-api');
    loads('extract', 'extract.js', '@duckdb/node-api');
    loads('flows', 'flows.js', 'apache-arrow');
  });
});
