/**
 * Flow records as plain objects, for output and tests. Bulk work (detectors,
 * storage) should use the Arrow columns; this is the per-row view.
 *
 * Values: integers as numbers (64-bit counters stay exact below 2^53),
 * timestamps as microseconds since the epoch (UTC), payloads as Uint8Array,
 * and null where the column is null.
 *
 * @example
 * for (const flow of flowRecords(batch)) console.log(flow.src_ip, flow.conn_state);
 * @module
 */
import type { Data, RecordBatch } from 'apache-arrow';

import { FLOW_COLUMNS, type FlowColumnType } from './flow-columns.js';

export type FlowValue = number | string | Uint8Array | null;
export type FlowRecord = Record<string, FlowValue>;

type Reader = (row: number) => FlowValue;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

function reader(type: FlowColumnType, data: Data): Reader {
  const valid = data.nullCount > 0 ? (row: number) => data.getValid(row) : () => true;
  const values = data.values as Uint8Array;
  const numbers = data.values as ArrayLike<number>;
  const bigints = data.values as ArrayLike<bigint>;
  let read: Reader;
  switch (type) {
    case 'u64':
    case 'timestamp_us':
      read = (row) => Number(bigints[row]);
      break;
    case 'utf8': {
      const offsets = data.valueOffsets as Int32Array;
      // Addresses, states and IDs are ASCII; latin1 decoding is much faster.
      read = (row) => {
        const bytes = values.subarray(offsets[row]!, offsets[row + 1]!);
        return bytes.every((b) => b < 0x80) ? latin1.decode(bytes) : utf8.decode(bytes);
      };
      break;
    }
    case 'binary': {
      const offsets = data.valueOffsets as Int32Array;
      read = (row) => values.subarray(offsets[row]!, offsets[row + 1]!);
      break;
    }
    default:
      read = (row) => numbers[row]!;
  }
  return (row) => (valid(row) ? read(row) : null);
}

/** The rows of one flow batch as records keyed by column name. */
export function* flowRecords(batch: RecordBatch): Generator<FlowRecord> {
  const readers = FLOW_COLUMNS.map((c, i) => reader(c.type, batch.getChildAt(i)!.data[0]!));
  for (let row = 0; row < batch.numRows; ++row) {
    const record: FlowRecord = {};
    for (let i = 0; i < readers.length; ++i) record[FLOW_COLUMNS[i]!.name] = readers[i]!(row);
    yield record;
  }
}
