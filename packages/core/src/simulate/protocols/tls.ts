/**
 * TLS 1.3 as it crosses the wire (RFC 8446): a browser-like ClientHello
 * with the server name in clear, a ServerHello, the compatibility
 * ChangeCipherSpec, and then only encrypted application-data records, whose
 * contents are random bytes and whose sizes are the plaintext's plus the
 * content type and the 16-byte AEAD tag.
 * @module
 */
import { concatBytes } from '../../bytes.js';
import type { Rng } from '../random.js';
import type { TcpConnection } from '../tcp.js';

const enc = new TextEncoder();
const u16 = (v: number) => [(v >>> 8) & 0xff, v & 0xff];
const u24 = (v: number) => [(v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const vec16 = (b: number[]) => [...u16(b.length), ...b];
const ext = (type: number, body: number[]) => [...u16(type), ...vec16(body)];

/** Largest plaintext in one record, and what encryption adds to it (content type, tag). */
const MAX_PLAINTEXT = 16384;
const RECORD_OVERHEAD = 1 + 16;

function record(type: number, version: number, body: number[] | Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out.set([type, ...u16(version), ...u16(body.length)]);
  out.set(body, 5);
  return out;
}

function handshake(type: number, body: number[]): number[] {
  return [type, ...u24(body.length), ...body];
}

const CIPHER_SUITES = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];

/** A ClientHello as Chrome sends it: padded to 512 bytes of handshake, SNI, ALPN, x25519 key share. */
export function clientHello(rng: Rng, serverName: string): Uint8Array {
  const name = [...enc.encode(serverName)];
  const extensions = [
    ...ext(0x0000, vec16([0, ...vec16(name)])), // server_name
    ...ext(0x0017, []), // extended_master_secret
    ...ext(0xff01, [0]), // renegotiation_info
    ...ext(0x000a, vec16([...u16(0x001d), ...u16(0x0017), ...u16(0x0018)])), // supported_groups
    ...ext(0x000b, [1, 0]), // ec_point_formats
    ...ext(0x0023, []), // session_ticket
    ...ext(0x0010, vec16([2, ...enc.encode('h2'), 8, ...enc.encode('http/1.1')])), // ALPN
    ...ext(0x0005, [1, 0, 0, 0, 0]), // status_request
    ...ext(0x000d, vec16([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601].flatMap(u16))), // signature_algorithms
    ...ext(0x0033, vec16([...u16(0x001d), ...vec16([...rng.bytes(32)])])), // key_share
    ...ext(0x002d, [1, 1]), // psk_key_exchange_modes
    ...ext(0x002b, [4, ...u16(0x0304), ...u16(0x0303)]), // supported_versions
  ];
  const fixed = [...u16(0x0303), ...rng.bytes(32), 32, ...rng.bytes(32), ...vec16(CIPHER_SUITES.flatMap(u16)), 1, 0];
  // Padding extension (RFC 7685): fills the handshake message up to 512 bytes.
  const unpadded = 4 + fixed.length + 2 + extensions.length;
  const padding = unpadded + 4 < 512 ? ext(0x0015, new Array<number>(512 - unpadded - 4).fill(0)) : [];
  return record(0x16, 0x0301, handshake(1, [...fixed, ...vec16([...extensions, ...padding])]));
}

/** ServerHello choosing TLS 1.3 with AES-128-GCM and x25519, then the compatibility ChangeCipherSpec. */
export function serverHello(rng: Rng): Uint8Array {
  const extensions = [...ext(0x002b, u16(0x0304)), ...ext(0x0033, [...u16(0x001d), ...vec16([...rng.bytes(32)])])];
  const body = [...u16(0x0303), ...rng.bytes(32), 32, ...rng.bytes(32), ...u16(0x1301), 0, ...vec16(extensions)];
  return concatBytes(record(0x16, 0x0303, handshake(2, body)), changeCipherSpec());
}

export function changeCipherSpec(): Uint8Array {
  return record(0x14, 0x0303, [1]);
}

/** `plaintext` bytes of application data, encrypted: records of at most 16 KiB, random contents. */
export function encrypted(rng: Rng, plaintext: number): Uint8Array {
  const records: Uint8Array[] = [];
  for (let left = Math.max(1, plaintext); left > 0; left -= MAX_PLAINTEXT) {
    records.push(record(0x17, 0x0303, rng.bytes(Math.min(left, MAX_PLAINTEXT) + RECORD_OVERHEAD)));
  }
  return concatBytes(...records);
}

/** The header of one application-data record of `length` bytes (for bulk data built from it). */
export function recordHeader(length: number): Uint8Array {
  return Uint8Array.from([0x17, ...u16(0x0303), ...u16(Math.min(length, MAX_PLAINTEXT + RECORD_OVERHEAD))]);
}

/**
 * The server's first flight after the ServerHello: encrypted extensions,
 * certificate chain, its signature and Finished, `certBytes` in all.
 */
export function serverFlight(rng: Rng, certBytes: number): Uint8Array {
  return concatBytes(serverHello(rng), encrypted(rng, certBytes));
}

/** The client's answer: ChangeCipherSpec and its encrypted Finished. */
export function clientFinished(rng: Rng): Uint8Array {
  return concatBytes(changeCipherSpec(), encrypted(rng, 36));
}


/**
 * The handshake on a connected TCP connection: the client's hello naming
 * `serverName`, the server's flight with a certificate chain of
 * `certBytes` [min, max] bytes after [min, max] µs, the client's Finished.
 */
export function tlsHandshake(
  c: TcpConnection,
  rng: Rng,
  serverName: string,
  certBytes: readonly [number, number],
  serverDelayUs: readonly [number, number],
): void {
  c.send('client', clientHello(rng, serverName));
  c.send('server', serverFlight(rng, rng.int(certBytes[0], certBytes[1])), { after: rng.int(serverDelayUs[0], serverDelayUs[1]) });
  c.send('client', clientFinished(rng));
}
