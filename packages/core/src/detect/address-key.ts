/**
 * Address keys: what detectors key per-address state by, made from the
 * bytes of an address column without a string when the address is IPv4.
 * @module
 */

/**
 * What detectors key per-address state by: an IPv4 address as its 32-bit
 * value (a small integer: no string to make, hash or compare), any other
 * address as its string. `addressText` gives the string back.
 */
export type AddressKey = number | string;

/** The address string of a key. */
export function addressText(key: AddressKey): string {
  if (typeof key === 'string') return key;
  return `${key >>> 24}.${(key >>> 16) & 255}.${(key >>> 8) & 255}.${key & 255}`;
}

/**
 * A key for an address and a number below 2^21 (a port, a protocol): one
 * number, exact below 2^53, when the address is IPv4; else a string.
 */
export function addressWith(key: AddressKey, n: number): number | string {
  return typeof key === 'number' ? (key >>> 0) * 2 ** 21 + n : `${key}|${n}`;
}

/** The address of canonical dotted-quad bytes as an int32, or undefined. */
export function ipv4Key(bytes: Uint8Array, start: number, end: number): number | undefined {
  let address = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; ++i) {
    const c = bytes[i]!;
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      address = (address << 8) | octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return undefined; // a leading zero
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return (address << 8) | octet;
}
