/**
 * A small DNS message parser for the payload prefix of a flow (RFC 1035
 * §4.1): the header and the question section of each message, enough to
 * name what was asked. The prefix holds the first bytes a side sent, so it
 * may end in the middle of a name, and a UDP flow that carried several
 * queries holds them back to back; TCP messages carry a 2-byte length
 * (RFC 1035 §4.2.2). Every length read from the bytes is checked against
 * what is there before it is used; what does not parse ends the parse,
 * with what was read so far.
 *
 * Names are kept as the raw label bytes (for length and entropy) and in
 * presentation form, with RFC 1035 §5.1 escapes (`\.`, `\\`, `\DDD` for
 * bytes outside printable ASCII): they are attacker-controlled data.
 *
 * @example
 * const [msg] = parseDnsMessages(view.firstPayloadFwd(row), { tcp: false });
 * msg?.questions[0]?.name; // 'www.example.com'
 * @module
 */

export interface DnsName {
  /** Label bytes, left to right; the last one cut short when `complete` is false. */
  labels: Uint8Array[];
  /** Presentation form, escaped; no trailing dot. */
  name: string;
  /** Length in presentation form counting the declared label lengths (dots between labels). */
  length: number;
  /** Longest declared label length. */
  maxLabel: number;
  /** The terminating root label was read. */
  complete: boolean;
}

export interface DnsQuestion extends DnsName {
  /** QTYPE, or -1 when the prefix ended before it. */
  qtype: number;
}

export interface DnsMessage {
  id: number;
  /** QR: a response. */
  response: boolean;
  opcode: number;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
  questions: DnsQuestion[];
}

const HEADER = 12;
const MAX_NAME_WIRE = 255;
const MAX_POINTER_HOPS = 16;
/** More questions than this is not a message any resolver sends: not DNS. */
const MAX_QDCOUNT = 4;
/** Messages read from one prefix at most. */
const MAX_MESSAGES = 16;

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;

/** Presentation forms are written here and decoded once: at most 254 label bytes of 4 characters each, and the dots. */
const presentationBytes = Buffer.alloc(2048);

/** Writes the RFC 1035 §5.1 presentation form of `label` to `out` at `at`; returns the offset after it. */
function escapeInto(label: Uint8Array, out: Uint8Array, at: number): number {
  for (let i = 0; i < label.length; i++) {
    const c = label[i]!;
    if (c === 0x2e || c === 0x5c) {
      out[at++] = 0x5c;
      out[at++] = c;
    } else if (c > 0x20 && c < 0x7f) {
      out[at++] = c;
    } else {
      out[at++] = 0x5c;
      out[at++] = 0x30 + Math.floor(c / 100);
      out[at++] = 0x30 + (Math.floor(c / 10) % 10);
      out[at++] = 0x30 + (c % 10);
    }
  }
  return at;
}

/** RFC 1035 §5.1 presentation form of one label. */
export function escapeLabel(label: Uint8Array): string {
  return presentationBytes.toString('latin1', 0, escapeInto(label, presentationBytes, 0));
}

/** The length of escapeLabel(label), without making the string. */
export function escapedLength(label: Uint8Array): number {
  return escapeInto(label, presentationBytes, 0);
}

/** The presentation form of a name: its labels escaped, joined by dots; one string made. */
function presentationName(labels: readonly Uint8Array[]): string {
  let at = 0;
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) presentationBytes[at++] = 0x2e;
    at = escapeInto(labels[i]!, presentationBytes, at);
  }
  return presentationBytes.toString('latin1', 0, at);
}

/** Where walkName ended: valid until the next walk. */
const walked = { end: -1, length: -1, maxLabel: 0, complete: false };

/**
 * Walks the name at `at` of `msg` (compression pointers followed backwards
 * only, a bounded number of times), pushing its labels onto `labels` when
 * given, and leaves in `walked`: the offset just past the name in its
 * original position (-1 when the bytes ran out), its presentation length,
 * its longest label, and whether it was complete. False when the bytes
 * are not a name.
 */
function walkName(msg: Uint8Array, at: number, labels?: Uint8Array[]): boolean {
  let length = -1;
  let maxLabel = 0;
  let wire = 0;
  let end = -1;
  let pos = at;
  let hops = 0;
  let complete = false;
  while (pos < msg.length) {
    const len = msg[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      complete = true;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) break;
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      // Only backwards, and a bounded number of times: no endless loops.
      if (target >= pos || ++hops > MAX_POINTER_HOPS) return false;
      if (end < 0) end = pos + 2;
      pos = target;
      continue;
    }
    if (len & 0xc0) return false; // 0x40, 0x80: extended label types, obsolete
    wire += len + 1;
    if (wire + 1 > MAX_NAME_WIRE) return false;
    // A label cut short counts with its declared length; its bytes as far as they go.
    if (labels && pos + 1 < msg.length) labels.push(msg.subarray(pos + 1, Math.min(pos + 1 + len, msg.length)));
    length += len + 1;
    if (len > maxLabel) maxLabel = len;
    pos += 1 + len;
  }
  walked.end = complete ? end : -1;
  walked.length = Math.max(length, 0);
  walked.maxLabel = maxLabel;
  walked.complete = complete;
  return true;
}

/**
 * Reads the name at `at` of `msg` (see walkName). Returns the name and the
 * offset just past it in the original position, or `end: -1` when the
 * bytes ran out. Undefined when the bytes are not a name.
 */
export function readName(msg: Uint8Array, at: number): { name: DnsName; end: number } | undefined {
  const labels: Uint8Array[] = [];
  if (!walkName(msg, at, labels)) return undefined;
  const { end, length, maxLabel, complete } = walked;
  return { name: { labels, name: presentationName(labels), length, maxLabel, complete }, end };
}

/** Skips one resource record at `at`; the offset after it, or -1 when the bytes ran out or are not a record. */
function skipRecord(msg: Uint8Array, at: number): number {
  // The owner name is walked, not read: no labels or text for a record that is skipped.
  if (!walkName(msg, at) || walked.end < 0) return -1;
  const fixed = walked.end; // TYPE, CLASS, TTL, RDLENGTH
  if (fixed + 10 > msg.length) return -1;
  const next = fixed + 10 + u16(msg, fixed + 8);
  return next <= msg.length ? next : -1;
}

/**
 * Parses one message from `msg` (a whole message or the start of one).
 * Returns the message and its length when every section was there, or
 * `length: -1` when it was cut short. Undefined when it is not DNS.
 */
export function parseDnsMessage(msg: Uint8Array): { message: DnsMessage; length: number } | undefined {
  if (msg.length < HEADER) return undefined;
  const flags = u16(msg, 2);
  const message: DnsMessage = {
    id: u16(msg, 0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    qdcount: u16(msg, 4),
    ancount: u16(msg, 6),
    nscount: u16(msg, 8),
    arcount: u16(msg, 10),
    questions: [],
  };
  if (message.qdcount > MAX_QDCOUNT || message.opcode > 6) return undefined;
  let pos = HEADER;
  for (let i = 0; i < message.qdcount; i++) {
    const r = readName(msg, pos);
    if (!r) return message.questions.length > 0 ? { message, length: -1 } : undefined;
    if (r.end < 0 || r.end + 4 > msg.length) {
      if (r.name.maxLabel > 0 || r.end >= 0) message.questions.push({ ...r.name, qtype: r.end >= 0 && r.end + 2 <= msg.length ? u16(msg, r.end) : -1 });
      return { message, length: -1 };
    }
    message.questions.push({ ...r.name, qtype: u16(msg, r.end) });
    pos = r.end + 4;
  }
  const records = message.ancount + message.nscount + message.arcount;
  for (let i = 0; i < records; i++) {
    pos = skipRecord(msg, pos);
    if (pos < 0) return { message, length: -1 };
  }
  return { message, length: pos };
}

/**
 * The messages at the start of a flow's payload prefix: back to back over
 * UDP (when each one parsed to its end), length-prefixed over TCP.
 */
export function parseDnsMessages(prefix: Uint8Array, options: { tcp: boolean }): DnsMessage[] {
  const out: DnsMessage[] = [];
  let pos = 0;
  while (pos < prefix.length && out.length < MAX_MESSAGES) {
    let body: Uint8Array;
    if (options.tcp) {
      if (pos + 2 > prefix.length) break;
      const len = u16(prefix, pos);
      if (len < HEADER) break;
      body = prefix.subarray(pos + 2, Math.min(pos + 2 + len, prefix.length));
      pos += 2 + len;
    } else {
      body = prefix.subarray(pos);
    }
    const r = parseDnsMessage(body);
    if (!r) break;
    out.push(r.message);
    if (!options.tcp) {
      if (r.length < 0) break;
      pos += r.length;
    }
  }
  return out;
}
