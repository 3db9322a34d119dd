/**
 * Opening the store: one DuckDB file, created with its tables on first use.
 * Extensions are never installed or loaded (no network, no surprises), and
 * DuckDB's own failures become StoreErrors with a message for a person: a
 * database held by another process names that process.
 *
 * @example
 * import { openStore } from '@mommynet/core';
 * const store = await openStore('mommy.duckdb');
 * const rows = await store.all('SELECT count(*) AS n FROM flows');
 * store.close();
 * @module
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

import { STORE_DDL, STORE_MIGRATIONS, STORE_SCHEMA_VERSION } from './schema.js';

export const DEFAULT_STORE_PATH = 'mommy.duckdb';

/** Settings every DuckDB instance of MommyNet opens with. */
export const DUCKDB_SAFE_OPTIONS: Readonly<Record<string, string>> = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
};

export type StoreErrorCode = 'locked' | 'not_a_database' | 'newer_schema' | 'open_failed';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    message: string,
    readonly code: StoreErrorCode,
    readonly path: string,
  ) {
    super(message);
  }
}

export interface StoreOptions {
  /** Open without the right to change anything (queries). Default false. */
  readOnly?: boolean;
}

function holderDescription(pid: string): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return cmd ? `process ${pid} (${cmd.length > 120 ? `${cmd.slice(0, 117)}...` : cmd})` : `process ${pid}`;
  } catch {
    return `process ${pid}`;
  }
}

/**
 * What DuckDB says went wrong, for a person: its first line, without the
 * error class ("IO Error: ") and the step that met it ("Failed to commit: ").
 */
export function duckdbReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.replace(/^[A-Za-z ]+Error: /, '').replace(/^Failed to commit: /, '');
}

/** DuckDB's message for a failed open, as a StoreError. */
export function storeOpenError(err: unknown, path: string): StoreError {
  const message = err instanceof Error ? err.message : String(err);
  const lock = /Conflicting lock is held in .*\(PID (\d+)\)/.exec(message);
  if (lock)
    return new StoreError(
      `${path} is in use by ${holderDescription(lock[1]!)}; wait for it to finish, or use another --db`,
      'locked',
      path,
    );
  if (/not a valid DuckDB database file|Unrecognized file format|database file.*is not/i.test(message))
    return new StoreError(`${path} is not a DuckDB database`, 'not_a_database', path);
  return new StoreError(`${path}: ${duckdbReason(err)}`, 'open_failed', path);
}

export class Store {
  #transactionOpen = false;

  private constructor(
    readonly path: string,
    readonly readOnly: boolean,
    readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  static async open(path: string = DEFAULT_STORE_PATH, options: StoreOptions = {}): Promise<Store> {
    const absolute = resolve(path);
    const readOnly = options.readOnly ?? false;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(absolute, {
        ...DUCKDB_SAFE_OPTIONS,
        ...(readOnly ? { access_mode: 'READ_ONLY' } : {}),
      });
    } catch (err) {
      throw storeOpenError(err, absolute);
    }
    const connection = await instance.connect();
    const store = new Store(absolute, readOnly, instance, connection);
    try {
      await store.prepareSchema();
    } catch (err) {
      store.close();
      throw err;
    }
    return store;
  }

  private async prepareSchema(): Promise<void> {
    if (!this.readOnly) for (const statement of STORE_DDL) await this.connection.run(statement);
    const rows = await this.all<{ value: string }>(
      `SELECT value FROM mommynet_meta WHERE key = 'schema_version'`,
    ).catch(() => []);
    const version = rows[0] ? Number(rows[0].value) : undefined;
    if (version !== undefined && version > STORE_SCHEMA_VERSION)
      throw new StoreError(
        `${this.path} was written by a newer MommyNet (store schema ${version}, this one reads ${STORE_SCHEMA_VERSION})`,
        'newer_schema',
        this.path,
      );
    if (this.readOnly || version === STORE_SCHEMA_VERSION) return;
    // An older database: bring its tables up to date, in one transaction.
    await this.atomically(async () => {
      for (let v = (version ?? STORE_SCHEMA_VERSION) + 1; v <= STORE_SCHEMA_VERSION; v++) {
        for (const statement of STORE_MIGRATIONS[v] ?? []) await this.connection.run(statement);
      }
      await this.connection.run(
        `INSERT OR REPLACE INTO mommynet_meta VALUES ('schema_version', '${STORE_SCHEMA_VERSION}')`,
      );
    });
  }

  /** Runs a statement and returns its rows as objects (JS values). */
  async all<T = Record<string, unknown>>(sql: string, params?: Record<string, unknown> | unknown[]): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, params as never);
    return reader.getRowObjectsJS() as T[];
  }

  async run(sql: string, params?: Record<string, unknown> | unknown[]): Promise<void> {
    await this.connection.run(sql, params as never);
  }

  /** Opens a transaction unless one is open: the statements until commit() go in it. */
  async begin(): Promise<void> {
    if (this.#transactionOpen) return;
    await this.connection.run('BEGIN TRANSACTION');
    this.#transactionOpen = true;
  }

  /** Commits the open transaction; when that fails, it is rolled back (and the failure thrown). */
  async commit(): Promise<void> {
    try {
      await this.connection.run('COMMIT');
    } catch (err) {
      await this.connection.run('ROLLBACK').catch(() => {}); // already ended, unless the COMMIT was refused outright
      throw err;
    } finally {
      this.#transactionOpen = false;
    }
  }

  /** Rolls back the open transaction, if any. */
  async rollback(): Promise<void> {
    if (!this.#transactionOpen) return;
    this.#transactionOpen = false;
    await this.connection.run('ROLLBACK');
  }

  /**
   * Runs `work` in one transaction: in the one open, which its opener ends
   * (an ingest commits a capture's alerts with its flows), or in one of its
   * own, committed when `work` succeeds and rolled back when it fails.
   */
  async atomically<T>(work: () => Promise<T>): Promise<T> {
    if (this.#transactionOpen) return work();
    await this.begin();
    let result: T;
    try {
      result = await work();
    } catch (err) {
      await this.rollback();
      throw err;
    }
    await this.commit();
    return result;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

export const openStore = Store.open;
