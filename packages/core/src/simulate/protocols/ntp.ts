/**
 * NTPv4 client and server packets (RFC 5905): 48 bytes, timestamps in the
 * NTP era (seconds since 1900) with a 32-bit fraction.
 * @module
 */
import type { Rng } from '../random.js';

/** Seconds from 1900-01-01 (NTP's epoch) to 1970-01-01 (Unix's). */
const NTP_UNIX_OFFSET = 2_208_988_800;

function timestamp(view: DataView, at: number, micros: number): void {
  const seconds = Math.floor(micros / 1e6);
  view.setUint32(at, seconds + NTP_UNIX_OFFSET);
  view.setUint32(at + 4, Math.floor(((micros - seconds * 1e6) / 1e6) * 2 ** 32));
}

/** A client request (mode 3, poll 2^6 s) sent at `micros`; its transmit timestamp is what the server echoes. */
export function ntpRequest(micros: number): Uint8Array {
  const b = new Uint8Array(48);
  const v = new DataView(b.buffer);
  b[0] = (4 << 3) | 3; // version 4, mode client
  b[2] = 6; // poll
  b[3] = 0xe9; // precision 2^-23
  timestamp(v, 40, micros);
  return b;
}

/** The server's reply (mode 4, stratum `stratum`) to a request sent at `sentMicros`, received and sent at `micros`. */
export function ntpReply(rng: Rng, sentMicros: number, micros: number, stratum: number, refId: Uint8Array): Uint8Array {
  const b = new Uint8Array(48);
  const v = new DataView(b.buffer);
  b[0] = (4 << 3) | 4;
  b[1] = stratum;
  b[2] = 6;
  b[3] = 0xe7;
  v.setUint32(4, rng.int(0x100, 0x800)); // root delay
  v.setUint32(8, rng.int(0x100, 0x1000)); // root dispersion
  b.set(refId.subarray(0, 4), 12);
  timestamp(v, 16, micros - rng.int(1, 500) * 1e6); // reference: last synchronised
  timestamp(v, 24, sentMicros); // origin
  timestamp(v, 32, micros);
  timestamp(v, 40, micros + 20);
  return b;
}
