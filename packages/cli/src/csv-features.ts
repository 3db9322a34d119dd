/**
 * Tabular flow datasets (NSL-KDD, UNSW-NB15, CIC-IDS exports) as a feature
 * matrix: chosen numeric columns of a CSV file with a header, and a label
 * column telling benign rows from attacks. DuckDB reads the file (its
 * sniffer finds delimiter, quoting and types), as it does everywhere in
 * MommyNet.
 * @module
 */
import { existsSync } from 'node:fs';

import { DuckDBInstance } from '@duckdb/node-api';
import { DUCKDB_SAFE_OPTIONS, type LabelledMatrix, type RowCategory } from '@mommynet/core';

import { CliError, EXIT } from './exit-codes.js';

export interface CsvOptions {
  /** Column holding each row's class; absent: every row is benign. */
  labelColumn?: string;
  /** The label value of benign rows (compared trimmed, ignoring case). */
  benignLabel: string;
  /** Feature columns, in order; absent: every numeric column but the label. */
  features?: readonly string[];
}

export interface CsvRows extends LabelledMatrix {
  /** The feature columns' names, trimmed, in matrix order. */
  features: string[];
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*|BOOLEAN)$/;

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Resolves the feature and label columns against the file's header (names compared trimmed: some headers pad them). */
function chooseColumns(path: string, header: { name: string; type: string }[], options: CsvOptions) {
  const byName = new Map(header.map((c) => [c.name.trim(), c]));
  const find = (name: string, option: string) => {
    const column = byName.get(name.trim());
    if (!column) throw new CliError(`${path}: no column '${name}' (${option}; columns: ${[...byName.keys()].join(', ')})`, EXIT.usage);
    return column;
  };
  const label = options.labelColumn === undefined ? undefined : find(options.labelColumn, '--label-column');
  const features = options.features
    ? options.features.map((f) => find(f, '--features'))
    : header.filter((c) => c !== label && NUMERIC.test(c.type));
  for (const f of features) {
    if (f === label) throw new CliError(`${path}: column '${f.name.trim()}' is the label column; leave it out of --features`, EXIT.usage);
    if (!NUMERIC.test(f.type)) throw new CliError(`${path}: column '${f.name.trim()}' holds ${f.type} values, not numbers; leave it out of --features`, EXIT.usage);
  }
  if (features.length === 0) throw new CliError(`${path}: no numeric columns to use as features (--features)`, EXIT.usage);
  return { label, features };
}

/** Reads one CSV file's feature columns (float32) and each row's category (undefined: benign, else its label). */
export async function readCsvRows(path: string, options: CsvOptions): Promise<CsvRows> {
  if (!existsSync(path)) throw new CliError(`${path}: no such file`, EXIT.input);
  const instance = await DuckDBInstance.create(':memory:', DUCKDB_SAFE_OPTIONS);
  const connection = await instance.connect();
  try {
    const relation = `read_csv(${quoteString(path)}, header = true)`;
    let header: { name: string; type: string }[];
    try {
      const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
      header = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    } catch (err) {
      throw new CliError(`${path}: not a CSV file DuckDB can read (${(err as Error).message.split('\n')[0]})`, EXIT.input);
    }
    const { label, features } = chooseColumns(path, header, options);
    const select = [
      ...features.map((f) => `CAST(${quoteIdent(f.name)} AS FLOAT)`),
      label ? `trim(CAST(${quoteIdent(label.name)} AS VARCHAR))` : 'NULL',
    ].join(', ');
    const count = Number((await connection.runAndReadAll(`SELECT count(*) FROM ${relation}`)).getRows()[0]![0]);
    const cols = features.length;
    const data = new Float32Array(count * cols);
    const categories: RowCategory[] = new Array(count);
    const benign = options.benignLabel.trim().toLowerCase();
    const result = await connection.stream(`SELECT ${select} FROM ${relation}`);
    let row = 0;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      for (let c = 0; c < cols; c++) {
        const vector = chunk.getColumnVector(c);
        for (let r = 0; r < chunk.rowCount; r++) {
          const v = vector.getItem(r) as number | null;
          if (v === null) throw new CliError(`${path}: row ${row + r + 1}, column '${features[c]!.name.trim()}' is empty`, EXIT.input);
          data[(row + r) * cols + c] = v;
        }
      }
      const labels = chunk.getColumnVector(cols);
      for (let r = 0; r < chunk.rowCount; r++) {
        const value = labels.getItem(r) as string | null;
        if (label && !value) throw new CliError(`${path}: row ${row + r + 1}, label column '${label.name.trim()}' is empty`, EXIT.input);
        categories[row + r] = value === null || value.toLowerCase() === benign ? undefined : value;
      }
      row += chunk.rowCount;
    }
    return { matrix: { data, rows: count, cols }, categories, features: features.map((f) => f.name.trim()) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
