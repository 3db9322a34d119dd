/**
 * Payload signatures: the pattern file `payload_signature` matches against
 * the first payload bytes of each direction, and the URL decoding applied
 * before matching.
 *
 * The file holds one pattern a line, `category-subtype<TAB>regex`
 * (`sqli-union<TAB>\bunion\s+select\b`); lines starting with `#` and blank
 * lines are skipped. Regexes are JavaScript syntax, matched without regard to
 * case against the payload read as Latin-1 (one character per byte). A line
 * that is not in this form, a regex that does not compile or a name used
 * twice is refused with the file and line number. The shipped file is
 * `packages/core/data/signatures.txt`.
 *
 * @example
 * import { loadSignatures, urlDecode } from './signatures.js';
 * const sigs = loadSignatures(); // the shipped patterns
 * const hit = sigs.find((s) => s.regex.test(urlDecode("id=1%27+UNION+SELECT+1")));
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Signature {
  /** `category-subtype`, as written in the file (`sqli-union`). */
  name: string;
  /** The part before the first `-` (`sqli`, `xss`, `cmdi`, `traversal`). */
  category: string;
  /** The regex source, as written in the file. */
  pattern: string;
  regex: RegExp;
  file: string;
  line: number;
}

/** The patterns shipped with the package (resolved from this module, so it works from src and dist). */
export const SHIPPED_SIGNATURES = fileURLToPath(new URL('../../data/signatures.txt', import.meta.url));

const NAME = /^[a-z][a-z0-9]*-[a-z0-9][a-z0-9_.-]*$/;

/** Parses the text of a pattern file; `file` names it in errors. */
export function parseSignatures(text: string, file: string): Signature[] {
  const out: Signature[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const fail = (why: string): never => {
      throw new Error(`${file}:${line}: ${why} (expected 'category-subtype<TAB>regex')`);
    };
    const tab = raw.indexOf('\t');
    if (tab < 0) fail('no tab between name and regex');
    const name = raw.slice(0, tab).trim();
    const pattern = raw.slice(tab).replace(/^\t+/, '');
    if (!NAME.test(name)) fail(`bad name '${name}'`);
    if (pattern === '') fail(`no regex after '${name}'`);
    if (seen.has(name)) fail(`'${name}' already defined on line ${seen.get(name)}`);
    let regex: RegExp;
    try {
      regex = new RegExp(pattern, 'i');
    } catch (e) {
      return fail(`regex of '${name}' does not compile: ${(e as Error).message}`);
    }
    seen.set(name, line);
    out.push({ name, category: name.slice(0, name.indexOf('-')), pattern, regex, file, line });
  }
  return out;
}

/** Reads and parses a pattern file (default: the shipped one). */
export function loadSignatures(file: string = SHIPPED_SIGNATURES): Signature[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read signature file ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseSignatures(text, file);
}

/** A back-reference in a regex source: numbered (`\1`) or named (`\k<name>`). Over-eager on purpose (`\\1` counts too). */
const BACK_REFERENCE = /\\(?:[1-9]|k<)/;

/**
 * One regex that matches a text wherever any of `signatures` does: their
 * patterns as alternatives, so that a text none of them matches (most
 * payloads) is ruled out in one scan instead of one per pattern. Patterns
 * with back-references cannot join (their group numbers would change):
 * they are `leftOut`, to be tried on their own. When none can join or the
 * alternatives do not compile together (a group name used twice), `regex`
 * is undefined and every pattern is left out.
 */
export function anyOf(signatures: readonly Signature[]): { regex: RegExp | undefined; leftOut: Signature[] } {
  const joining: Signature[] = [];
  const leftOut: Signature[] = [];
  for (const s of signatures) (BACK_REFERENCE.test(s.pattern) ? leftOut : joining).push(s);
  if (joining.length === 0) return { regex: undefined, leftOut };
  try {
    return { regex: new RegExp(joining.map((s) => `(?:${s.pattern})`).join('|'), 'i'), leftOut };
  } catch {
    return { regex: undefined, leftOut: [...signatures] };
  }
}

const HEX = /%([0-9a-f]{2})/gi;

/** One level of form decoding: `+` is a space and `%XX` a byte (invalid escapes stay as they are). */
function decodeOnce(s: string): string {
  return s.replace(/\+/g, ' ').replace(HEX, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * What the patterns see: the text form-decoded once, then once more when
 * escapes remain (double encoding, `%2527`). Characters stand for bytes.
 */
export function urlDecode(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text; // most payloads: nothing to decode
  const once = decodeOnce(text);
  return once.includes('%') ? decodeOnce(once) : once;
}
