/**
 * Which SQL statements a read-only query may run. DuckDB's own parser and
 * binder decide the statement type (a prepared statement's `statementType`).
 * The leading keyword is read first, so that the other statements are
 * refused by name before DuckDB parses them (parsing IMPORT DATABASE already
 * reads files) or binds them (binding COPY or read_csv opens files).
 *
 * Allowed: SELECT (with FROM-first, WITH, VALUES, TABLE, PIVOT ... IN),
 * DESCRIBE, SHOW and SUMMARIZE (DuckDB binds all of them as SELECT), and
 * EXPLAIN or EXPLAIN ANALYZE of one of those. Everything else is refused by
 * name: INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, COPY, EXPORT, ATTACH,
 * DETACH, INSTALL, LOAD, SET, RESET, PRAGMA, CALL, CHECKPOINT, ...
 *
 * @example
 * import { leadingKeyword, isAllowedKeyword } from './statements.js';
 * isAllowedKeyword(leadingKeyword('-- export\nCOPY flows TO x')); // false
 * @module
 */
import { StatementType } from '@duckdb/node-api';

/** First words of the statements that DuckDB binds as SELECT. */
const ALLOWED_KEYWORDS = new Set([
  '(',
  'SELECT',
  'WITH',
  'FROM',
  'VALUES',
  'TABLE',
  'PIVOT',
  'UNPIVOT',
  'PIVOT_WIDER',
  'PIVOT_LONGER',
  'DESCRIBE',
  'DESC',
  'SHOW',
  'SUMMARIZE',
  'EXPLAIN',
]);

/**
 * First words of DuckDB's other statements. These are refused before DuckDB
 * even parses them: parsing `IMPORT DATABASE 'dir'` already reads dir's files.
 */
const REFUSED_KEYWORDS = new Set([
  'ABORT', 'ALTER', 'ANALYZE', 'ATTACH', 'BEGIN', 'CALL', 'CHECKPOINT', 'COMMENT', 'COMMIT', 'COPY', 'CREATE',
  'DEALLOCATE', 'DELETE', 'DETACH', 'DROP', 'END', 'EXECUTE', 'EXPORT', 'FORCE', 'IMPORT', 'INSERT', 'INSTALL',
  'LOAD', 'MERGE', 'PRAGMA', 'PREPARE', 'RESET', 'ROLLBACK', 'SET', 'START', 'TRUNCATE', 'UNINSTALL', 'UPDATE',
  'USE', 'VACUUM',
]);

export function isRefusedKeyword(keyword: string): boolean {
  return REFUSED_KEYWORDS.has(keyword);
}

export const ALLOWED_STATEMENTS = 'SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN [ANALYZE] SELECT';

/** Index of the first character at or after `i` that is not whitespace or a comment. */
export function skipTrivia(sql: string, i = 0): number {
  for (;;) {
    while (i < sql.length && /\s/.test(sql[i]!)) i += 1;
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      // Block comments nest, as in PostgreSQL's grammar (which DuckDB's parser is).
      let depth = 0;
      do {
        if (sql.startsWith('/*', i)) (depth += 1), (i += 2);
        else if (sql.startsWith('*/', i)) (depth -= 1), (i += 2);
        else i += 1;
      } while (depth > 0 && i < sql.length);
    } else return i;
  }
}

function wordAt(sql: string, i: number): string {
  return /^[A-Za-z_]+/.exec(sql.slice(i, i + 64))?.[0].toUpperCase() ?? '';
}

/** The statement's first keyword in upper case, `(` for a parenthesised query, '' if none. */
export function leadingKeyword(sql: string): string {
  const i = skipTrivia(sql);
  return sql[i] === '(' ? '(' : wordAt(sql, i);
}

export function isAllowedKeyword(keyword: string): boolean {
  return ALLOWED_KEYWORDS.has(keyword);
}

/** DuckDB's name of a statement type, for messages: `COPY`, `SET VARIABLE`, ... */
export function statementTypeName(type: number): string {
  return (StatementType[type] ?? `statement type ${type}`).replace(/_/g, ' ');
}

/**
 * The statement an EXPLAIN explains, as candidates to try in order: DuckDB
 * reads `EXPLAIN (FORMAT json) q` with an option list but `EXPLAIN (SELECT 1)`
 * as a query in parentheses, so after a parenthesised group both readings
 * are returned; the caller takes the first that parses.
 */
export function explainedStatement(sql: string): string[] {
  let i = skipTrivia(sql);
  if (wordAt(sql, i) !== 'EXPLAIN') return [];
  i = skipTrivia(sql, i + 'EXPLAIN'.length);
  const word = wordAt(sql, i);
  if (word === 'ANALYZE' || word === 'ANALYSE') i = skipTrivia(sql, i + word.length);
  if (sql[i] !== '(') return [sql.slice(i)];
  let depth = 0;
  let j = i;
  for (; j < sql.length; j += 1) {
    const c = sql[j];
    if (c === "'" || c === '"') {
      const close = sql.indexOf(c, j + 1);
      j = close < 0 ? sql.length : close;
    } else if (c === '(') depth += 1;
    else if (c === ')' && --depth === 0) break;
  }
  return [sql.slice(j + 1), sql.slice(i)];
}
