/**
 * `mommy-forensics export` end to end: two sensors' captures spanning UTC
 * midnight, plus alerts, exported to a lake. Checks the hive layout on disk,
 * row counts per partition against the database, the rows read back by
 * DuckDB against the tables, that exporting again replaces partitions
 * instead of adding rows, the day selection and the sensor override.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { Store } from '@mommynet/core';
import { tcpSession, udpExchange } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { runCli } from './support/cli.js';
import { writeCapture } from './support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'mommy-export-'));
const db = join(dir, 'store.duckdb');
const enc = new TextEncoder();
const MIDNIGHT = Date.UTC(2023, 10, 15) * 1000; // µs, 2023-11-15T00:00:00Z

const udp = (clientPort: number) =>
  udpExchange({ client: '10.7.0.2', server: '10.7.0.53', clientPort, serverPort: 53, requests: [enc.encode('q')], responses: [enc.encode('a')] });

// alpha: three flows late on the 14th, two early on the 15th; beta: four on the 15th.
const alpha = writeCapture([
  ...[...tcpSession({ client: '10.7.0.2', server: '10.7.0.1', clientPort: 40000, serverPort: 80 }), ...udp(5000), ...udp(5001)].map((frame, i) => ({
    tsMicros: MIDNIGHT - 60_000_000 + i * 1000,
    frame,
  })),
  ...[...udp(5002), ...udp(5003)].map((frame, i) => ({ tsMicros: MIDNIGHT + 30_000_000 + i * 1000, frame })),
]);
const beta = writeCapture([...udp(6000), ...udp(6001), ...udp(6002), ...udp(6003)], MIDNIGHT + 3_600_000_000);

function files(root: string): string[] {
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')).map((f) => f.split('\\').join('/')).sort();
}

async function sql<T>(text: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`ATTACH '${db}' AS store (READ_ONLY)`);
    return (await conn.runAndReadAll(text)).getRowObjectsJS() as T[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const lake = (out: string, table: string) => `read_parquet('${out}/${table}/**/*.parquet', hive_partitioning = true, hive_types = {'date': DATE, 'sensor': VARCHAR})`;

function exportTo(out: string, ...more: string[]) {
  const r = runCli(['export', '--out', out, '--db', db, ...more]);
  return { ...r, lines: r.stdout.trim() ? r.stdout.trim().split('\n').map((l) => JSON.parse(l)) : [] };
}

describe('mommy-forensics export', () => {
  it('builds a store with two sensors and alerts', async () => {
    for (const [path, sensor] of [[alpha, 'alpha'], [beta, 'beta']] as const) {
      const r = runCli(['ingest', path, '--db', db, '--sensor', sensor, '-q']);
      expect(r.status, r.stderr).toBe(0);
    }
    const store = await Store.open(db);
    await store.run(`INSERT INTO alerts (alert_time, category, severity, src_ip, detector, message, capture_id) VALUES
      (TIMESTAMP '2023-11-14 23:59:59', 'port_scan', 2, '10.7.0.2', 'test', 'a scan', 1),
      (TIMESTAMP '2023-11-15 01:00:00', 'syn_flood', 1, '10.7.0.9', 'test', 'a flood', 2),
      (TIMESTAMP '2023-11-15 02:00:00', 'syn_flood', 1, '10.7.0.9', 'test', 'another', 2)`);
    store.close();
  });

  const out = join(dir, 'lake');

  it('writes flows and alerts in a hive layout by UTC date and sensor', () => {
    const r = exportTo(out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(files(out)).toEqual([
      'alerts/date=2023-11-14/sensor=alpha/alerts-0.parquet',
      'alerts/date=2023-11-15/sensor=beta/alerts-0.parquet',
      'flows/date=2023-11-14/sensor=alpha/flows-0.parquet',
      'flows/date=2023-11-15/sensor=alpha/flows-0.parquet',
      'flows/date=2023-11-15/sensor=beta/flows-0.parquet',
    ]);
    expect(r.lines).toEqual([
      { table: 'flows', date: '2023-11-14', sensor: 'alpha', rows: 3, path: join(out, 'flows/date=2023-11-14/sensor=alpha') },
      { table: 'flows', date: '2023-11-15', sensor: 'alpha', rows: 2, path: join(out, 'flows/date=2023-11-15/sensor=alpha') },
      { table: 'flows', date: '2023-11-15', sensor: 'beta', rows: 4, path: join(out, 'flows/date=2023-11-15/sensor=beta') },
      { table: 'alerts', date: '2023-11-14', sensor: 'alpha', rows: 1, path: join(out, 'alerts/date=2023-11-14/sensor=alpha') },
      { table: 'alerts', date: '2023-11-15', sensor: 'beta', rows: 2, path: join(out, 'alerts/date=2023-11-15/sensor=beta') },
    ]);
    expect(readdirSync(dirname(out)).filter((f) => f.includes('.export-'))).toEqual([]); // staging removed
  });

  it('has the database rows per partition, and the same rows and types', async () => {
    const counts = (from: string) =>
      sql<{ date: string; sensor: string; n: bigint }>(`SELECT date::VARCHAR AS date, sensor, count(*) AS n FROM ${from} GROUP BY ALL ORDER BY ALL`);
    expect(await counts(lake(out, 'flows'))).toEqual(
      await counts(`(SELECT strftime(start_time, '%Y-%m-%d') AS date, c.sensor FROM store.flows f JOIN store.captures c USING (capture_id))`),
    );
    expect(await counts(lake(out, 'alerts'))).toEqual(
      await counts(`(SELECT strftime(alert_time, '%Y-%m-%d') AS date, c.sensor FROM store.alerts a JOIN store.captures c USING (capture_id))`),
    );
    for (const table of ['flows', 'alerts']) {
      const differ = await sql<{ n: bigint }>(`SELECT count(*) AS n FROM (
        (SELECT * EXCLUDE (date, sensor) FROM ${lake(out, table)} EXCEPT ALL SELECT * FROM store.${table})
        UNION ALL (SELECT * FROM store.${table} EXCEPT ALL SELECT * EXCLUDE (date, sensor) FROM ${lake(out, table)}))`);
      expect(Number(differ[0]!.n), table).toBe(0);
      const types = (from: string) => sql<{ column_name: string; column_type: string }>(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${from})`);
      const theirs = (await types(lake(out, table))).filter((c) => c.column_name !== 'date' && c.column_name !== 'sensor');
      expect(theirs).toEqual(await types(`store.${table}`));
    }
  });

  it('replaces the partitions it writes when run again: no duplicates, no stale files', async () => {
    const partition = join(out, 'flows/date=2023-11-14/sensor=alpha');
    copyFileSync(join(partition, 'flows-0.parquet'), join(partition, 'flows-7.parquet')); // as an older export might have left
    const foreign = join(out, 'flows/date=2023-11-01/sensor=alpha');
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, 'flows-0.parquet'), ''); // a day this export does not cover
    const first = exportTo(out);
    const again = exportTo(out);
    expect(again.status).toBe(0);
    expect(again.lines).toEqual(first.lines);
    expect(files(out).filter((f) => !f.includes('2023-11-01'))).toHaveLength(5);
    expect(existsSync(join(foreign, 'flows-0.parquet'))).toBe(true);
    rmSync(foreign, { recursive: true });
    const [total] = await sql<{ n: bigint }>(`SELECT count(*) AS n FROM ${lake(out, 'flows')}`);
    const [stored] = await sql<{ n: bigint }>('SELECT count(*) AS n FROM store.flows');
    expect(total!.n).toBe(stored!.n);
  });

  it('exports whole UTC days chosen by --since/--until, and takes --sensor for every row', () => {
    const day = join(dir, 'day');
    const r = exportTo(day, '--since', '2023-11-15T12:00:00Z', '--until', '2023-11-16');
    expect(r.status, r.stderr).toBe(0);
    expect(r.lines.map((l) => [l.table, l.date, l.sensor, l.rows])).toEqual([
      ['flows', '2023-11-15', 'alpha', 2],
      ['flows', '2023-11-15', 'beta', 4],
      ['alerts', '2023-11-15', 'beta', 2],
    ]);
    const named = join(dir, 'named');
    expect(exportTo(named, '--sensor', 'gamma', '--until', '2023-11-15').lines.map((l) => relative(named, l.path))).toEqual([
      'flows/date=2023-11-14/sensor=gamma',
      'alerts/date=2023-11-14/sensor=gamma',
    ]);
    const empty = exportTo(join(dir, 'empty'), '--since', '2024-01-01');
    expect(empty.status).toBe(0);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toMatch(/nothing to export/);
  });

  it('answers bad options with exit 1, an unwritable lake with 5, a missing database with 6', () => {
    let r = exportTo(join(dir, 'x'), '--since', 'yesterday');
    expect([r.status, r.stderr]).toEqual([1, "mommy-forensics: --since 'yesterday' is not an ISO-8601 time (e.g. 2023-11-14 or 2023-11-14T22:13:20Z)\n"]);
    r = exportTo(join(dir, 'x'), '--sensor', 'a/b');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/sensor 'a\/b' cannot name a partition/);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    r = exportTo(file);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/^mommy-forensics: cannot write .*a-file: /);
    const missing = runCli(['export', '--out', join(dir, 'x'), '--db', join(dir, 'none.duckdb')]);
    expect(missing.status).toBe(6);
    expect(missing.stderr).toMatch(/none\.duckdb: no such database/);
  });
});
