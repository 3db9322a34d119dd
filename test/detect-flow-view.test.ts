/**
 * The strings a FlowView hands to detectors: short recurring ones
 * (addresses, conn_state) are interned, and must still be exactly the
 * bytes of their row, whatever look-alikes the column holds.
 */
import { describe, expect, it } from 'vitest';

import { addressText, addressWith } from '../packages/core/src/detect/address-key.js';
import { BinaryColumn, FlowView, ViewScratch } from '../packages/core/src/detect/flow-view.js';
import { shortString } from '../packages/core/src/detect/interned-strings.js';

/** A string column holding `values` (one byte per character, as addresses and states are), as Arrow lays it out. */
function column(values: string[]): { values: Uint8Array; valueOffsets: Int32Array } {
  const parts = values.map((v) => Uint8Array.from(v, (c) => c.charCodeAt(0)));
  const valueOffsets = new Int32Array(values.length + 1);
  parts.forEach((p, i) => (valueOffsets[i + 1] = valueOffsets[i]! + p.length));
  const bytes = new Uint8Array(valueOffsets[values.length]!);
  parts.forEach((p, i) => bytes.set(p, valueOffsets[i]!));
  return { values: bytes, valueOffsets };
}

const STRING_COLUMNS = ['src_ip', 'dst_ip', 'conn_state', 'community_id', 'payload_fwd', 'payload_rev'];
const NUMBER_COLUMNS = [
  'src_port', 'dst_port', 'proto', 'start_time', 'end_time', 'pkts_fwd', 'pkts_rev', 'payload_bytes_fwd', 'payload_bytes_rev', 'syn_count',
  'pkt_size_mean_fwd', 'pkt_size_mean_rev', 'pkt_size_std_fwd', 'pkt_size_std_rev',
];

/** A view of `rows` rows whose string columns hold `strings(column)`; number columns hold `number(row)` (default 0). */
function viewOf(rows: number, strings: (name: string) => string[], scratch?: ViewScratch, number = (_row: number) => 0): FlowView {
  const columns = Object.fromEntries([
    ...STRING_COLUMNS.map((n) => [n, column(strings(n))]),
    ...NUMBER_COLUMNS.map((n) => [n, { values: BigInt64Array.from({ length: rows }, (_, r) => BigInt(number(r))) }]),
  ]);
  return FlowView.fromColumns(rows, columns as Parameters<typeof FlowView.fromColumns>[1], scratch);
}

function decodeAll(values: string[]): string[] {
  const { values: encoded, valueOffsets } = column(values);
  const bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  return values.map((_, i) => shortString(bytes, valueOffsets[i]!, valueOffsets[i + 1]!));
}

describe('BinaryColumn.startsWith', () => {
  it('compares each row in place, whatever its length', () => {
    const col = new BinaryColumn(column(['SSH-2.0-OpenSSH', '', 'SSH', 'SSH-', 'XSH-2.0', 'SSH_']));
    const prefix = Uint8Array.from('SSH-', (c) => c.charCodeAt(0));
    expect([0, 1, 2, 3, 4, 5].map((r) => col.startsWith(r, prefix))).toEqual([true, false, false, true, false, false]);
    expect(col.startsWith(1, new Uint8Array(0))).toBe(true);
  });
});

describe('addressText', () => {
  it('writes back every IPv4 key as the address it was read from', () => {
    const ips = ['0.0.0.0', '255.255.255.255', '10.0.0.1', '128.0.0.1', '192.168.100.7', '1.2.3.4'];
    const view = viewOf(ips.length, () => ips);
    const keys = ips.map((_, r) => view.dstKey(r));
    expect(new Set(keys).size).toBe(ips.length);
    expect(keys.map(addressText)).toEqual(ips);
  });
});

describe('ViewScratch', () => {
  it('gives each view made with it, batch after batch, exactly what a view of its own reads', () => {
    const scratch = new ViewScratch();
    const batches = [
      ['2001:db8::1', '10.0.0.1', 'fe80::2', '192.0.2.9'],
      ['10.0.0.7', '2001:db8::5'], // smaller: row 0 was an IPv6 text key, row 1 an IPv4 number
      ['10.0.0.3', '10.0.0.4', '198.51.100.1', '2001:db8::9', '10.0.0.5', '203.0.113.8'], // larger: new arrays
      ['fe80::3', '10.9.9.9', '10.0.0.4'],
    ];
    batches.forEach((ips, b) => {
      const reused = viewOf(ips.length, () => ips, scratch, (r) => 1_700_000_000_000_000 + 1000 * b + r);
      const fresh = viewOf(ips.length, () => ips, undefined, (r) => 1_700_000_000_000_000 + 1000 * b + r);
      const read = (v: FlowView) => ips.map((_, r) => [v.srcKey(r), v.dstIp(r), v.connState(r), v.start(r), v.pktsRev[r]]);
      expect(read(reused), `batch ${b}`).toEqual(read(fresh));
      expect(reused.startUs.length).toBe(ips.length);
    });
  });
});

describe('addressWith', () => {
  it('gives a distinct exact key to every address and number, at the ends of both ranges', () => {
    const view = viewOf(3, () => ['0.0.0.0', '255.255.255.255', '2001:db8::1']);
    const addresses = [0, 1, 2].map((r) => view.srcKey(r));
    const numbers = [0, 1, 65535, 2 ** 21 - 1];
    const keys = addresses.flatMap((a) => numbers.map((n) => addressWith(a, n)));
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of keys.slice(0, 8)) expect(Number.isSafeInteger(k)).toBe(true);
    expect(addressWith(addresses[1]!, 2 ** 21 - 1)).toBe(2 ** 53 - 1);
    expect(addressWith(addresses[2]!, 22)).toBe('2001:db8::1|22');
  });
});

describe('shortString', () => {
  it('returns each row its own string, across addresses that parse alike or share a key', () => {
    const values = [
      '10.0.0.1', '10.0.0.1', '1.2.3.4', '01.2.3.4', '1.02.3.4', '1.2.3.04', // leading zeros: not canonical
      '256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '255.255.255.255', '0.0.0.0',
      'S0', 'SF', 'SH', 'REJ', 'RSTO', 'RSTOS0', 'RSTRH', 'OTH', 'S1', 'S3', // conn_state
      'ab', 'aXb', 'axb', 'a', 'b', 'ab\u00e9', '2001:db8::1', 'fe80::1%eth0', '', 'x'.repeat(40),
    ];
    // Twice over: the second pass reads every value from the tables.
    expect(decodeAll(values)).toEqual(values);
    expect(decodeAll([...values].reverse())).toEqual([...values].reverse());
  });

  it('gives one string object for every row of the same address', () => {
    const [a, b] = decodeAll(['192.0.2.77', '192.0.2.77']);
    expect(a).toBe('192.0.2.77');
    expect(Object.is(a, b)).toBe(true);
  });

  it('serves FlowView rows', () => {
    const ips = ['198.51.100.1', '2001:db8::2', '198.51.100.1'];
    const view = viewOf(3, (n) => (n.endsWith('ip') ? ips : ['S0', 'SF', 'REJ']));
    expect([0, 1, 2].map((r) => view.srcIp(r))).toEqual(ips);
    // Address keys: IPv4 as a number, equal for equal addresses; others as their text.
    const keys = [0, 1, 2].map((r) => view.srcKey(r));
    expect(typeof keys[0]).toBe('number');
    expect(keys[2]).toBe(keys[0]);
    expect(keys[1]).toBe('2001:db8::2');
    expect(keys.map(addressText)).toEqual(ips);
    expect([0, 1, 2].map((r) => view.connState(r))).toEqual(['S0', 'SF', 'REJ']);
  });
});
