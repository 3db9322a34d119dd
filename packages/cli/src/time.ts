/**
 * Time arguments: ISO-8601 dates and times, UTC unless a zone is given.
 * @module
 */
import { CliError, EXIT } from './exit-codes.js';

/** ISO-8601 date or date-time; without a zone it is UTC, as every time in MommyNet. */
export function parseIsoTime(text: string, option: string): Date {
  const m = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(text.trim());
  const date = m ? new Date(m[0].includes(':') && !m[1] ? `${m[0].replace(' ', 'T')}Z` : m[0].replace(' ', 'T')) : undefined;
  if (!date || Number.isNaN(date.getTime()))
    throw new CliError(`--${option} '${text}' is not an ISO-8601 time (e.g. 2023-11-14 or 2023-11-14T22:13:20Z)`, EXIT.usage);
  return date;
}
