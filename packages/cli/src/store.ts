/**
 * Opening the store from a command: DuckDB's failures become one-line
 * errors with exit status 6, and reading a database that does not exist
 * says so instead of creating an empty one.
 * @module
 */
import { existsSync } from 'node:fs';

import { openStore, type Store, StoreError } from '@mommynet/core/store';

import { CliError, EXIT } from './exit-codes.js';

async function open(path: string, readOnly: boolean): Promise<Store> {
  try {
    return await openStore(path, { readOnly });
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message, EXIT.store);
    throw err;
  }
}

/** For commands that write (ingest): created when missing. */
export function openForWriting(path: string): Promise<Store> {
  return open(path, false);
}

/** For commands that only read (export, extract). */
export function openForReading(path: string): Promise<Store> {
  if (!existsSync(path)) throw new CliError(`${path}: no such database (ingest captures first, or give --db)`, EXIT.store);
  return open(path, true);
}
