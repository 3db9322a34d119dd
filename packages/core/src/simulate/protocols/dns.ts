/**
 * DNS messages (RFC 1035 section 4.1) as stub resolvers and resolvers send
 * them: one question, answers that point back at it with a compression
 * pointer, and an EDNS(0) OPT record (RFC 6891) as modern clients add.
 * @module
 */
import { ipv4Bytes } from '../../synth/pcap-writer.js';

export const QTYPE = { A: 1, NS: 2, CNAME: 5, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, HTTPS: 65, ANY: 255 } as const;

export interface DnsRecord {
  /** Owner name; default the question's name. */
  name?: string;
  type: number;
  ttl: number;
  /** A: an IPv4 address; CNAME/NS/PTR: a name; TXT: strings of at most 255 bytes; otherwise raw rdata. */
  data: string | string[] | Uint8Array;
}

export interface DnsMessageOptions {
  id: number;
  response?: boolean;
  rcode?: number;
  /** Add an EDNS(0) OPT record advertising this UDP payload size. */
  edns?: number;
}

const enc = new TextEncoder();

function encodeName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.').filter((l) => l !== '')) {
    const bytes = enc.encode(label);
    if (bytes.length > 63) throw new RangeError(`DNS label longer than 63 bytes in '${name}'`);
    out.push(bytes.length, ...bytes);
  }
  out.push(0);
  return out;
}

const u16 = (v: number) => [(v >>> 8) & 0xff, v & 0xff];
const u32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

function rdata(r: DnsRecord): number[] {
  if (r.data instanceof Uint8Array) return [...r.data];
  if (r.type === QTYPE.A) return [...ipv4Bytes(r.data as string)];
  if (r.type === QTYPE.TXT) {
    const strings = Array.isArray(r.data) ? r.data : [r.data];
    return strings.flatMap((s) => {
      const b = enc.encode(s);
      if (b.length > 255) throw new RangeError('TXT string longer than 255 bytes');
      return [b.length, ...b];
    });
  }
  return encodeName(r.data as string);
}

/** A query or a response for `name`/`qtype`, class IN, recursion desired (and available in responses). */
export function dnsMessage(name: string, qtype: number, o: DnsMessageOptions, answers: DnsRecord[] = []): Uint8Array {
  const flags = o.response ? 0x8180 | (o.rcode ?? 0) : 0x0100;
  const bytes = [...u16(o.id), ...u16(flags), ...u16(1), ...u16(answers.length), ...u16(0), ...u16(o.edns ? 1 : 0)];
  bytes.push(...encodeName(name), ...u16(qtype), ...u16(1));
  for (const r of answers) {
    // The question's name is at offset 12: point there rather than repeat it.
    const owner = r.name === undefined || r.name === name ? [0xc0, 12] : encodeName(r.name);
    const data = rdata(r);
    bytes.push(...owner, ...u16(r.type), ...u16(1), ...u32(r.ttl), ...u16(data.length), ...data);
  }
  if (o.edns) bytes.push(0, ...u16(41), ...u16(o.edns), ...u32(0), ...u16(0));
  return Uint8Array.from(bytes);
}
