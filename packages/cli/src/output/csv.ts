/**
 * CSV fields, for flows and query results alike.
 * @module
 */

/** RFC 4180 quoting: only fields that need it. */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
