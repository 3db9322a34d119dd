/**
 * A Parquet "lake": the files `mommy-forensics export --out DIR` writes for
 * many sensors, `DIR/<table>/date=YYYY-MM-DD/sensor=NAME/*.parquet`, read
 * without a DuckDB file. The lake argument is a directory, a file, or a glob:
 *
 * - `DIR` means `DIR/**\/*.parquet`;
 * - a glob (`DIR/**\/*.parquet`, `DIR/flows/date=2025-06-*\/**\/*.parquet`)
 *   is expanded by DuckDB's glob();
 * - each matched file belongs to the table named by the last directory of its
 *   path called `flows`, `alerts` or `captures`; files under none of them are
 *   flows (e.g. the output of `mommy-forensics flows -o x.parquet`).
 *
 * Each table with files becomes a view over read_parquet(files,
 * hive_partitioning = true, union_by_name = true), so `date` and `sensor`
 * from the paths are columns, and files written by different versions
 * (columns added later) read together. The user's SQL may read files under
 * the directory the argument names (the part before the first wildcard).
 *
 * @example
 * import { planLake, lakeViews } from './lake.js';
 * const plan = planLake('/srv/lake');   // { pattern: '/srv/lake/**\/*.parquet', allowDirectory: '/srv/lake' }
 * @module
 */
import { statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

import { StoreError } from '../database.js';

export const LAKE_TABLES = ['flows', 'alerts', 'captures'] as const;
export type LakeTable = (typeof LAKE_TABLES)[number];

export interface LakePlan {
  /** The glob DuckDB expands. */
  pattern: string;
  /** The directory the user's SQL may read, when the argument names one. */
  allowDirectory?: string;
  /** The single file, when the argument is one. */
  allowFile?: string;
}

const GLOB_CHARS = /[*?[]/;

export function planLake(spec: string): LakePlan {
  const absolute = resolve(spec);
  if (!GLOB_CHARS.test(spec)) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(absolute).isDirectory();
    } catch {
      throw new StoreError(`${spec}: no such file or directory`, 'open_failed', absolute);
    }
    return isDirectory
      ? { pattern: `${absolute}${sep}**${sep}*.parquet`, allowDirectory: absolute }
      : { pattern: absolute, allowFile: absolute };
  }
  const parts = absolute.split(sep);
  const firstWild = parts.findIndex((p) => GLOB_CHARS.test(p));
  const root = parts.slice(0, firstWild).join(sep) || sep;
  return { pattern: absolute, allowDirectory: root };
}

/** The table a lake file belongs to (see the module comment). */
export function tableOf(file: string): LakeTable {
  const dirs = dirname(file).split(sep);
  for (let i = dirs.length - 1; i >= 0; i -= 1) {
    const table = LAKE_TABLES.find((t) => t === dirs[i]);
    if (table) return table;
  }
  return 'flows';
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** CREATE VIEW statements for the tables that have files. */
export function lakeViews(files: readonly string[]): string[] {
  const byTable = new Map<LakeTable, string[]>();
  for (const f of files) {
    const t = tableOf(f);
    const list = byTable.get(t);
    if (list) list.push(f);
    else byTable.set(t, [f]);
  }
  return LAKE_TABLES.filter((t) => byTable.has(t)).map(
    (t) =>
      `CREATE VIEW ${t} AS SELECT * FROM read_parquet([${byTable.get(t)!.map(quote).join(', ')}], hive_partitioning = true, union_by_name = true)`,
  );
}
