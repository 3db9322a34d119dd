/**
 * Query parameters: `--param name=value` pairs checked against a saved
 * query's declared parameters and bound to DuckDB's named placeholders
 * (`$name`) with their types. Values are never put into SQL text.
 *
 * Types: `integer`, `number`, `string`, `ip` (an IPv4 or IPv6 address), and
 * `timestamp` (UTC: `2025-06-01`, `2025-06-01T13:00`, `2025-06-01 13:00:05.25Z`).
 *
 * @example
 * import { parseParameterArgs, bindParameters } from './parameters.js';
 * const given = parseParameterArgs(['limit=5']);
 * const { values, types } = bindParameters(topTalkers, given);
 * @module
 */
import { isIP } from 'node:net';

import { BIGINT, DOUBLE, type DuckDBType, type DuckDBValue, DuckDBTimestampValue, TIMESTAMP, VARCHAR } from '@duckdb/node-api';

import { QueryError } from './errors.js';

export type ParameterType = 'integer' | 'number' | 'string' | 'ip' | 'timestamp';

export interface QueryParameter {
  readonly name: string;
  readonly type: ParameterType;
  /** Used when the parameter is not given; null means "no value" (SQL NULL); undefined means required. */
  readonly default?: string | number | null;
  /** Smallest allowed value (integer, number). */
  readonly min?: number;
  /** Largest allowed value (integer, number). */
  readonly max?: number;
  readonly description: string;
}

export interface SavedQuery {
  readonly name: string;
  readonly description: string;
  readonly parameters: readonly QueryParameter[];
  /** Uses every parameter as `$name`, and no other placeholder. */
  readonly sql: string;
}

const DUCKDB_TYPE: Record<ParameterType, DuckDBType> = {
  integer: BIGINT,
  number: DOUBLE,
  string: VARCHAR,
  ip: VARCHAR,
  timestamp: TIMESTAMP,
};

/** `['a=1', 'b=x=y']` → `{ a: '1', b: 'x=y' }`; a pair without `=` or a repeated name is an error. */
export function parseParameterArgs(args: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new QueryError(`--param ${JSON.stringify(arg)}: give NAME=VALUE`, 'bad_parameter');
    const name = arg.slice(0, eq);
    if (Object.hasOwn(out, name)) throw new QueryError(`--param ${name} is given twice`, 'bad_parameter');
    out[name] = arg.slice(eq + 1);
  }
  return out;
}

const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]00(?::?00)?)?$/i;

/** Microseconds since the epoch of a UTC date or date-time, or undefined if it is not one. */
export function parseTimestamp(text: string): bigint | undefined {
  const m = TIMESTAMP_TEXT.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = ''] = m;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s);
  const check = new Date(ms);
  if (Number.isNaN(ms) || check.getUTCDate() !== +d! || check.getUTCMonth() !== +mo! - 1 || +h > 23 || +mi > 59 || +s > 59) return undefined;
  return BigInt(ms) * 1000n + BigInt(frac.padEnd(6, '0'));
}

function convert(p: QueryParameter, text: string, where: string): DuckDBValue {
  const bad = (what: string) => new QueryError(`${where}: ${JSON.stringify(text)} is not ${what}`, 'bad_parameter');
  const range = (n: number) => {
    if ((p.min !== undefined && n < p.min) || (p.max !== undefined && n > p.max))
      throw new QueryError(`${where}: ${text} is out of range (${p.min ?? '...'} to ${p.max ?? '...'})`, 'bad_parameter');
  };
  switch (p.type) {
    case 'integer': {
      if (!/^-?\d{1,18}$/.test(text.trim())) throw bad('an integer');
      range(Number(text));
      return BigInt(text.trim());
    }
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw bad('a number');
      range(n);
      return n;
    }
    case 'ip':
      if (!isIP(text.trim())) throw bad('an IPv4 or IPv6 address');
      return text.trim().toLowerCase();
    case 'timestamp': {
      const micros = parseTimestamp(text);
      if (micros === undefined) throw bad('a UTC date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z])');
      return new DuckDBTimestampValue(micros);
    }
    case 'string':
      return text;
  }
}

export interface BoundParameters {
  values: Record<string, DuckDBValue>;
  types: Record<string, DuckDBType>;
}

/** Checks the given values against the query's parameters, fills in defaults, and types them for binding. */
export function bindParameters(query: SavedQuery, given: Readonly<Record<string, string>>): BoundParameters {
  const known = new Set(query.parameters.map((p) => p.name));
  for (const name of Object.keys(given))
    if (!known.has(name)) {
      const list = query.parameters.map((p) => p.name).join(', ') || 'none';
      throw new QueryError(`${query.name} has no parameter ${JSON.stringify(name)} (parameters: ${list})`, 'bad_parameter');
    }
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const p of query.parameters) {
    const where = `${query.name}: parameter ${p.name}`;
    const text = Object.hasOwn(given, p.name) ? given[p.name]! : p.default;
    if (text === undefined) throw new QueryError(`${query.name} needs --param ${p.name}=VALUE (${p.description})`, 'bad_parameter');
    values[p.name] = text === null ? null : convert(p, String(text), where);
    types[p.name] = DUCKDB_TYPE[p.type];
  }
  return { values, types };
}
