/**
 * The strings a FlowView hands to detectors: short recurring ones
 * (addresses, conn_state) are interned, and must still be exactly the
 * bytes of their row, whatever look-alikes the column holds.
 */
import { describe, expect, it } from 'vitest';

import { FlowView, shortString } from '../packages/core/src/detect/flow-view.js';

/** A string column holding `values` (one byte per character, as addresses and states are), as Arrow lays it out. */
function column(values: string[]): { values: Uint8Array; valueOffsets: Int32Array } {
  const parts = values.map((v) => Uint8Array.from(v, (c) => c.charCodeAt(0)));
  const valueOffsets = new Int32Array(values.length + 1);
  parts.forEach((p, i) => (valueOffsets[i + 1] = valueOffsets[i]! + p.length));
  const bytes = new Uint8Array(valueOffsets[values.length]!);
  parts.forEach((p, i) => bytes.set(p, valueOffsets[i]!));
  return { values: bytes, valueOffsets };
}

function decodeAll(values: string[]): string[] {
  const { values: bytes, valueOffsets } = column(values);
  return values.map((_, i) => shortString(bytes, valueOffsets[i]!, valueOffsets[i + 1]!));
}

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
    const empty = { values: new Uint8Array(0) };
    const columns = Object.fromEntries(
      ['src_ip', 'dst_ip', 'conn_state', 'community_id', 'payload_fwd', 'payload_rev'].map((n) => [n, column(n.endsWith('ip') ? ips : ['S0', 'SF', 'REJ'])]),
    );
    for (const n of ['src_port', 'dst_port', 'proto', 'start_time', 'end_time', 'pkts_fwd', 'pkts_rev', 'payload_bytes_fwd', 'payload_bytes_rev', 'syn_count']) columns[n] = empty;
    for (const n of ['pkt_size_mean_fwd', 'pkt_size_mean_rev', 'pkt_size_std_fwd', 'pkt_size_std_rev']) columns[n] = empty;
    const view = FlowView.fromColumns(3, columns as Parameters<typeof FlowView.fromColumns>[1]);
    expect([0, 1, 2].map((r) => view.srcIp(r))).toEqual(ips);
    expect([0, 1, 2].map((r) => view.connState(r))).toEqual(['S0', 'SF', 'REJ']);
  });
});
