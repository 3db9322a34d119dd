/**
 * Text that may come from an attacker (payload bytes, hostnames, error
 * messages quoting them) made safe for a terminal: control characters,
 * Unicode format characters (bidirectional overrides, zero-width) and line
 * separators are written as `\xNN` (code points below 256) or `\u{N}`, and a
 * backslash as `\\`, so escape sequences never reach the terminal raw and the
 * escaped text reads back unambiguously.
 *
 * @example
 * escapeText('evil\x1b[2Jname'); // 'evil\\x1b[2Jname'
 * @module
 */

const UNSAFE = /[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/gu;
const UNSAFE_KEEP_BACKSLASH = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/gu;

function escapeChar(ch: string): string {
  if (ch === '\\') return '\\\\';
  const cp = ch.codePointAt(0)!;
  return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
}

export function escapeText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** For messages, where SQL is quoted: escapes like escapeText but leaves backslashes as they are. */
export function escapeMessage(text: string): string {
  return text.replace(UNSAFE_KEEP_BACKSLASH, escapeChar);
}

/** Characters a terminal draws two columns wide (CJK, Hangul, full-width forms, most emoji). */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1faff}\u{20000}-\u{3fffd}]/u;
const ZERO_WIDTH = /[\p{Cc}\p{Cf}\p{Mn}\p{Me}]/u;

/** Terminal columns of one character, as DuckDB counts them for its caret (control characters: none). */
function columns(ch: string): number {
  return ZERO_WIDTH.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
}

/**
 * DuckDB's `LINE n: <sql>` line and caret line, escaped, with the caret moved
 * to stay under the same character: DuckDB places it by display columns
 * (control characters, tabs included, count as none), and escaping turns
 * each control character into four visible ones.
 */
export function escapeSqlContext(context: string): string {
  const [line = '', caret, ...rest] = context.split('\n');
  const m = /^(LINE \d+: )(.*)$/.exec(line);
  if (!m || caret === undefined || !/^ *\^$/.test(caret)) return context.split('\n').map(escapeMessage).join('\n');
  const [, prefix, sql] = m as unknown as [string, string, string];
  const chars = [...sql];
  const target = caret.length - 1 - prefix.length;
  let i = 0;
  for (let column = 0; i < chars.length && column < target; i += 1) column += columns(chars[i]!);
  while (i < chars.length && columns(chars[i]!) === 0) i += 1;
  const before = [...escapeMessage(chars.slice(0, i).join(''))].reduce((n, ch) => n + columns(ch), 0);
  return [prefix + escapeMessage(sql), ' '.repeat(prefix.length + before) + '^', ...rest.map(escapeMessage)].join('\n');
}
