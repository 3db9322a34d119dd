/**
 * Read-only SQL over the forensics store, or over a Parquet lake of many
 * sensors, for `mommy-forensics query`. Three layers, each enough alone for
 * most attempts, together for all the ones tested (test/cli-query.test.ts):
 *
 * 1. The database is opened with `access_mode = READ_ONLY`. A lake's views
 *    are written to a scratch database file first, which is then reopened
 *    read-only the same way.
 * 2. Before anything runs, DuckDB's parser splits the text (one statement
 *    only) and its binder types it; only SELECT (DESCRIBE, SHOW, SUMMARIZE
 *    bind as SELECT) and EXPLAIN [ANALYZE] of a SELECT pass. Others are
 *    refused by name (see queries/statements.ts).
 * 3. File access is off (`enable_external_access = false`) except for the
 *    lake's directory and the paths given with `allow`, and the
 *    configuration is then locked (`lock_configuration = true`), so the SQL
 *    can neither read other files, write any, nor undo these settings.
 *
 * Extensions are never installed or loaded (see DUCKDB_SAFE_OPTIONS).
 *
 * @example
 * import { ReadOnlySession } from '@mommynet/core';
 * const session = await ReadOnlySession.open({ db: 'mommy.duckdb' });
 * const result = await session.stream('SELECT src_ip, count(*) AS n FROM flows GROUP BY ALL');
 * for (let c = await result.fetchChunk(); c && c.rowCount; c = await result.fetchChunk()) console.log(c.getRows());
 * session.close();
 * @module
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  type DuckDBResult,
  type DuckDBType,
  type DuckDBValue,
  StatementType,
  VARCHAR,
} from '@duckdb/node-api';

import { DEFAULT_STORE_PATH, DUCKDB_SAFE_OPTIONS, Store, StoreError, storeOpenError } from './database.js';
import { QueryError, queryError } from './queries/errors.js';
import { lakeViews, planLake } from './queries/lake.js';
import { bindParameters, type SavedQuery } from './queries/parameters.js';
import {
  ALLOWED_STATEMENTS,
  explainedStatement,
  isAllowedKeyword,
  isRefusedKeyword,
  leadingKeyword,
  skipTrivia,
  statementTypeName,
} from './queries/statements.js';

export interface ReadOnlySource {
  /** The store's DuckDB file (must exist). */
  db?: string;
  /** A Parquet lake instead: a directory, a file or a glob (queries/lake.ts). */
  lake?: string;
  /** More files or directories the SQL may read (read_csv, read_parquet, ...). */
  allow?: readonly string[];
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const list = (items: readonly string[]) => `[${items.map(quote).join(', ')}]`;

function refused(name: string): QueryError {
  return new QueryError(`refused: ${name} is not allowed, queries are read-only (${ALLOWED_STATEMENTS})`, 'refused');
}

interface Access {
  directories: string[];
  files: string[];
}

function allowedAccess(allow: readonly string[]): Access {
  const access: Access = { directories: [], files: [] };
  for (const path of allow) {
    const absolute = resolve(path);
    let directory = false;
    try {
      directory = statSync(absolute).isDirectory();
    } catch {
      // A file that does not exist yet may still be named; DuckDB reports it when read.
    }
    (directory ? access.directories : access.files).push(absolute);
  }
  return access;
}

async function openReadOnly(path: string): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, { ...DUCKDB_SAFE_OPTIONS, access_mode: 'READ_ONLY' });
  } catch (err) {
    throw storeOpenError(err, path);
  }
  return { instance, connection: await instance.connect() };
}

/** Writes the lake's views into a scratch database; returns its directory and the view names. */
async function buildLakeViews(spec: string, scratch: string): Promise<{ path: string; tables: string[]; allow: Access }> {
  const plan = planLake(spec);
  const path = join(scratch, 'lake.duckdb');
  const instance = await DuckDBInstance.create(path, DUCKDB_SAFE_OPTIONS);
  const connection = await instance.connect();
  try {
    const rows = (await connection.runAndReadAll('SELECT file FROM glob($pattern) ORDER BY file', { pattern: plan.pattern })).getRowsJS();
    const files = rows.map((r) => String(r[0]));
    if (files.length === 0) throw new StoreError(`${spec}: no Parquet files match`, 'open_failed', plan.pattern);
    const views = lakeViews(files);
    for (const view of views) {
      try {
        await connection.run(view);
      } catch (err) {
        throw new StoreError(`${spec}: ${queryError(err).message}`, 'open_failed', plan.pattern);
      }
    }
    return {
      path,
      tables: views.map((v) => /^CREATE VIEW (\w+)/.exec(v)![1]!),
      allow: { directories: plan.allowDirectory ? [plan.allowDirectory] : [], files: plan.allowFile ? [plan.allowFile] : [] },
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export class ReadOnlySession {
  private constructor(
    readonly connection: DuckDBConnection,
    /** The views a lake provides (flows, alerts, captures); empty for a store. */
    readonly lakeTables: readonly string[],
    private readonly release: () => void,
  ) {}

  /** Opens the store (or lake) and locks it down. Failing to open is a StoreError. */
  static async open(source: ReadOnlySource): Promise<ReadOnlySession> {
    if (source.db !== undefined && source.lake !== undefined) throw new TypeError('give db or lake, not both');
    const access = allowedAccess(source.allow ?? []);
    let session: ReadOnlySession;
    if (source.lake !== undefined) {
      const scratch = mkdtempSync(join(tmpdir(), 'mommy-lake-'));
      try {
        const lake = await buildLakeViews(source.lake, scratch);
        access.directories.push(...lake.allow.directories);
        access.files.push(...lake.allow.files);
        const { instance, connection } = await openReadOnly(lake.path);
        session = new ReadOnlySession(connection, lake.tables, () => {
          connection.closeSync();
          instance.closeSync();
          rmSync(scratch, { recursive: true, force: true });
        });
      } catch (err) {
        rmSync(scratch, { recursive: true, force: true });
        throw err;
      }
    } else {
      const path = resolve(source.db ?? DEFAULT_STORE_PATH);
      if (!existsSync(path)) throw new StoreError(`${path}: no such database`, 'open_failed', path);
      const store = await Store.open(path, { readOnly: true });
      session = new ReadOnlySession(store.connection, [], () => store.close());
    }
    try {
      await session.lockDown(access);
    } catch (err) {
      session.close();
      throw err;
    }
    return session;
  }

  private async lockDown(access: Access): Promise<void> {
    if (access.directories.length) await this.connection.run(`SET allowed_directories = ${list(access.directories)}`);
    if (access.files.length) await this.connection.run(`SET allowed_paths = ${list(access.files)}`);
    await this.connection.run('SET enable_external_access = false');
    await this.connection.run('SET lock_configuration = true');
  }

  /** Parses, checks and prepares one statement; refuses anything but reading. */
  prepare(sql: string): Promise<DuckDBPreparedStatement> {
    return this.check(sql, 0);
  }

  private async check(sql: string, depth: number): Promise<DuckDBPreparedStatement> {
    const what = (name: string) => (depth > 0 ? `EXPLAIN of ${name}` : name);
    let prepared: DuckDBPreparedStatement;
    let keyword: string;
    try {
      if (skipTrivia(sql) === sql.length) throw new QueryError('no SQL statement given', 'empty');
      keyword = leadingKeyword(sql);
      const explained = keyword === 'EXPLAIN' ? explainedStatement(sql) : [];
      // Refused by their first word before DuckDB parses them (see isRefusedKeyword).
      if (isRefusedKeyword(keyword)) throw refused(what(keyword));
      for (const inner of explained.map(leadingKeyword)) if (isRefusedKeyword(inner)) throw refused(`EXPLAIN of ${inner}`);
      const statements = await this.connection.extractStatements(sql).catch((err: Error) => {
        // Text with no statement in it at all (`;`) fails without a parser message.
        throw err.message === 'Error in native callback' ? new QueryError('no SQL statement given', 'empty') : err;
      });
      if (statements.count === 0) throw new QueryError('no SQL statement given', 'empty');
      if (statements.count > 1) throw new QueryError(`give one SQL statement, not ${statements.count}`, 'multiple');
      if (!isAllowedKeyword(keyword) || (keyword === 'EXPLAIN' && depth > 0)) throw refused(what(keyword || 'this statement'));
      // The explained statement first: binding the EXPLAIN would already bind it (and open its files).
      if (keyword === 'EXPLAIN') (await this.explained(explained)).destroySync();
      prepared = await statements.prepare(0);
    } catch (err) {
      throw queryError(err);
    }
    const type = prepared.statementType;
    if (type === StatementType.SELECT || (type === StatementType.EXPLAIN && keyword === 'EXPLAIN')) return prepared;
    prepared.destroySync();
    throw refused(what(statementTypeName(type)));
  }

  /** The statement inside an EXPLAIN, checked like any other (EXPLAIN ANALYZE runs it). */
  private async explained(candidates: readonly string[]): Promise<DuckDBPreparedStatement> {
    for (const [i, inner] of candidates.entries()) {
      const parses = await this.connection
        .extractStatements(inner)
        .then((s) => s.count > 0)
        .catch(() => false);
      if (parses || i === candidates.length - 1) return this.check(inner, 1);
    }
    throw refused('this EXPLAIN');
  }

  /**
   * Runs one read-only statement and returns its result to stream chunk by
   * chunk. `params` bind `$name` placeholders; without `types` the values are
   * bound as text and DuckDB casts them to what the SQL needs.
   */
  async stream(sql: string, params: Readonly<Record<string, DuckDBValue>> = {}, types?: Record<string, DuckDBType>): Promise<DuckDBResult> {
    const prepared = await this.prepare(sql);
    try {
      const names = Array.from({ length: prepared.parameterCount }, (_, i) => prepared.parameterName(i + 1));
      for (const name of Object.keys(params))
        if (!names.includes(name)) throw new QueryError(`the SQL has no parameter $${name}`, 'bad_parameter');
      for (const name of names)
        if (!Object.hasOwn(params, name)) throw new QueryError(`the SQL needs --param ${name}=VALUE for $${name}`, 'bad_parameter');
      if (names.length) prepared.bind({ ...params }, types ?? Object.fromEntries(names.map((n) => [n, VARCHAR])));
      return await prepared.stream();
    } catch (err) {
      prepared.destroySync();
      throw queryError(err);
    }
  }

  /** Runs a saved query with `--param` values given as text (checked, defaulted and typed). */
  async streamSaved(query: SavedQuery, given: Readonly<Record<string, string>>): Promise<DuckDBResult> {
    const { values, types } = bindParameters(query, given);
    return this.stream(query.sql, values, types);
  }

  close(): void {
    this.release();
  }
}
