/**
 * Errors of a read-only query: refused statements, bad parameters, and
 * DuckDB's own parse, bind and run errors. DuckDB's "LINE n: ..." line and
 * the caret under the place it points to are kept apart in `context`, so a
 * caller can print the message on one line and the SQL excerpt under it.
 *
 * @example
 * import { QueryError, queryError } from '@mommynet/core';
 * try { await session.stream('SELEC 1'); } catch (err) {
 *   const e = queryError(err); console.error(e.message); if (e.context) console.error(e.context);
 * }
 * @module
 */

export type QueryErrorCode =
  /** No statement in the text. */
  | 'empty'
  /** More than one statement. */
  | 'multiple'
  /** A statement that is not read-only. */
  | 'refused'
  /** No saved query of that name. */
  | 'unknown_query'
  /** A parameter that is unknown, missing, or not of its type. */
  | 'bad_parameter'
  /** DuckDB failed to parse, bind or run the SQL. */
  | 'failed';

export class QueryError extends Error {
  override readonly name = 'QueryError';
  constructor(
    message: string,
    readonly code: QueryErrorCode,
    /** DuckDB's `LINE n: <sql>` line and the caret line under it, when it gave them. */
    readonly context?: string,
  ) {
    super(message);
  }
}

/** Any error from DuckDB (or already a QueryError) as a QueryError. */
export function queryError(err: unknown): QueryError {
  if (err instanceof QueryError) return err;
  const text = (err instanceof Error ? err.message : String(err)).replace(/^Failed to extract statements: /, '');
  const at = text.search(/\n+LINE \d+: /);
  const message = (at < 0 ? text : text.slice(0, at)).trim().replace(/\s*\n\s*/g, '; ');
  const context = at < 0 ? undefined : text.slice(at).replace(/^\n+/, '').trimEnd();
  return new QueryError(message, 'failed', context);
}
