import { FLOW_COLUMNS, FLOW_SCHEMA } from '@mommynet/core';
import { describe, expect, it } from 'vitest';

import { native } from './support/native.js';

describe('flow schema', () => {
  it('is the same in the addon and in core: names, types, order', () => {
    expect(native.schema()).toEqual(FLOW_COLUMNS.map((c) => ({ name: c.name, type: c.type })));
  });

  it('has the fields DESIGN.md names and the CLI promises', () => {
    const names = FLOW_SCHEMA.fields.map((f) => f.name);
    for (const required of [
      'src_ip', 'src_port', 'dst_ip', 'dst_port', 'proto', 'vlan', 'start_time', 'end_time',
      'pkts_fwd', 'pkts_rev', 'bytes_fwd', 'bytes_rev', 'conn_state', 'end_reason', 'community_id',
    ])
      expect(names).toContain(required);
  });

  it('gives every anomaly a snake_case name and a class', () => {
    const anomalies = native.anomalies();
    expect(anomalies.length).toBeGreaterThan(10);
    for (const a of anomalies) {
      expect(a.name).toMatch(/^[a-z0-9]+(_[a-z0-9]+)*$/);
      expect(['unsupported', 'not_ip', 'truncated', 'malformed']).toContain(a.class);
    }
  });
});
