/**
 * Exporting the store as Parquet for a data lake: `flows` and `alerts`, hive
 * partitioned by UTC date and sensor, zstd-compressed, written by DuckDB's
 * COPY from the store opened read-only:
 *
 *   OUT/flows/date=YYYY-MM-DD/sensor=NAME/flows-0.parquet
 *   OUT/alerts/date=YYYY-MM-DD/sensor=NAME/alerts-0.parquet
 *
 * A partition is always a whole day of one sensor. The time range picks the
 * days; every row of those days is written, and each (table, date, sensor)
 * partition written replaces the one on disk, so exporting again never
 * duplicates rows. Partitions are staged beside OUT and moved into place one
 * by one. Layout and types: docs/export.md.
 *
 * @example
 * import { exportStore, Store } from '@mommynet/core';
 * const store = await Store.open('mommy.duckdb', { readOnly: true });
 * for (const p of await exportStore(store, { out: 'lake' })) console.log(p.path, p.rows);
 * store.close();
 * @module
 */
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

import { duckdbReason, type Store } from './database.js';

export type ExportTable = 'flows' | 'alerts';

export interface ExportOptions {
  /** The lake directory (created if missing). */
  out: string;
  /** Sensor name for every row. Default: each capture's `sensor` (host name at ingest), else this host's name. */
  sensor?: string;
  /** Export the UTC days that overlap [since, until). Default: every day in the store. */
  since?: Date;
  until?: Date;
}

export interface ExportedPartition {
  table: ExportTable;
  /** UTC day, YYYY-MM-DD. */
  date: string;
  sensor: string;
  rows: number;
  /** The partition directory. */
  path: string;
}

export type ExportErrorCode = 'bad_option' | 'bad_sensor' | 'write_failed';

export class ExportError extends Error {
  override readonly name = 'ExportError';
  constructor(
    message: string,
    readonly code: ExportErrorCode,
  ) {
    super(message);
  }
}

/** Names a partition directory can carry unescaped, in every engine that reads hive layouts. */
export const SENSOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const DAY_US = 86_400_000_000n;

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The table's rows with their partition columns, for COPY. */
function source(table: ExportTable, sensor: string, days: { from?: bigint; to?: bigint }): string {
  const time = table === 'flows' ? 't.start_time' : 't.alert_time';
  const where: string[] = [];
  if (days.from !== undefined) where.push(`${time} >= make_timestamp(${days.from})`);
  if (days.to !== undefined) where.push(`${time} < make_timestamp(${days.to})`);
  return `SELECT t.*, strftime(${time}, '%Y-%m-%d') AS date, ${sensor} AS sensor
  FROM ${table} t LEFT JOIN captures c ON c.capture_id = t.capture_id
  ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
  ORDER BY ${time}`;
}

/** The UTC days overlapping [since, until), as microsecond bounds. */
function dayBounds(since?: Date, until?: Date): { from?: bigint; to?: bigint } {
  const us = (d: Date, name: string) => {
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new ExportError(`${name} is not a valid time`, 'bad_option');
    return BigInt(d.getTime()) * 1000n;
  };
  const out: { from?: bigint; to?: bigint } = {};
  if (since) out.from = (us(since, 'since') / DAY_US) * DAY_US;
  if (until) {
    const u = us(until, 'until');
    out.to = ((u + DAY_US - 1n) / DAY_US) * DAY_US;
  }
  if (out.from !== undefined && out.to !== undefined && out.to <= out.from)
    throw new ExportError('until must be later than since', 'bad_option');
  return out;
}

/** Moves a directory, across file systems too. */
function move(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    cpSync(from, to, { recursive: true });
    rmSync(from, { recursive: true, force: true });
  }
}

/** Writes the store's flows and alerts under `options.out`; returns the partitions written. */
export async function exportStore(store: Store, options: ExportOptions): Promise<ExportedPartition[]> {
  if (typeof options.out !== 'string' || options.out === '') throw new ExportError('out must be a directory path', 'bad_option');
  if (options.sensor !== undefined && !SENSOR_NAME.test(options.sensor))
    throw new ExportError(`sensor '${options.sensor}' cannot name a partition: use letters, digits, '.', '_' and '-'`, 'bad_option');
  const days = dayBounds(options.since, options.until);
  const fallback = SENSOR_NAME.test(hostname()) ? hostname() : 'unknown';
  const sensor = options.sensor !== undefined ? quote(options.sensor) : `coalesce(c.sensor, ${quote(fallback)})`;

  for (const table of ['flows', 'alerts'] as const) {
    const names = await store.all<{ sensor: string }>(`SELECT DISTINCT sensor FROM (${source(table, sensor, days)})`);
    const bad = names.map((r) => r.sensor).find((s) => !SENSOR_NAME.test(s));
    if (bad !== undefined)
      throw new ExportError(`sensor '${bad}' in the captures table cannot name a partition; give --sensor NAME`, 'bad_sensor');
  }

  const out = resolve(options.out);
  // Staged outside OUT, so that readers globbing OUT/** never see a partial file.
  const staging = join(dirname(out), `.${basename(out)}.export-${process.pid}`);
  const written: ExportedPartition[] = [];
  try {
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    mkdirSync(out, { recursive: true });
    for (const table of ['flows', 'alerts'] as const) {
      const dir = join(staging, table);
      await store.run(
        `COPY (${source(table, sensor, days)}) TO ${quote(dir)}
         (FORMAT parquet, PARTITION_BY (date, sensor), COMPRESSION zstd, FILENAME_PATTERN '${table}-{i}')`,
      );
      const files = existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : [];
      if (!files.some((f) => f.endsWith('.parquet'))) continue;  // no rows: nothing to replace
      const counts = await store.all<{ date: string; sensor: string; rows: bigint }>(
        `SELECT date::VARCHAR AS date, sensor::VARCHAR AS sensor, count(*) AS rows
         FROM read_parquet(${quote(join(dir, '**', '*.parquet'))}, hive_partitioning = true, hive_types_autocast = false)
         GROUP BY ALL ORDER BY ALL`,
      );
      for (const c of counts) {
        const part = join(`date=${c.date}`, `sensor=${c.sensor}`);
        const target = join(out, table, part);
        mkdirSync(dirname(target), { recursive: true });
        if (existsSync(target)) {
          const old = join(staging, 'replaced', table, part);
          mkdirSync(dirname(old), { recursive: true });
          renameSync(target, old);
          try {
            move(join(dir, part), target);
          } catch (err) {
            renameSync(old, target);  // put the previous export back
            throw err;
          }
        } else {
          move(join(dir, part), target);
        }
        written.push({ table, date: c.date, sensor: c.sensor, rows: Number(c.rows), path: target });
      }
    }
  } catch (err) {
    if (err instanceof ExportError) throw err;
    throw new ExportError(`cannot write ${out}: ${duckdbReason(err)}`, 'write_failed');
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return written;
}
