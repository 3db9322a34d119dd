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

import { bufferOver } from './bytes.js';
import { FLOW_COLUMNS, type FlowColumnType } from './flow-columns.js';
import { int64AsDoubles } from './int64.js';
import { isNullBit, nullBitmap } from './null-bitmap.js';

export type FlowValue = number | string | Uint8Array | null;
export type FlowRecord = Record<string, FlowValue>;

/** One column's value at a row of the batch it was made for. */
export type FlowValueReader = (row: number) => FlowValue;

/**
 * Readers work from the column's buffers, made once per batch: 64-bit
 * values converted to doubles in one pass (a BigInt per value read was most
 * of the time), strings decoded by Buffer (addresses and states are ASCII,
 * which it decodes without a view or a check per value), nulls read from
 * the validity bitmap.
 */
function reader(type: FlowColumnType, data: Data, rows: number): FlowValueReader {
  let read: FlowValueReader;
  switch (type) {
    case 'u64':
    case 'timestamp_us': {
      const doubles = int64AsDoubles(data.values as BigInt64Array | BigUint64Array, rows);
      read = (row) => doubles[row]!;
      break;
    }
    case 'utf8': {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = bufferOver(data.values as Uint8Array);
      read = (row) => bytes.toString('utf8', offsets[row]!, offsets[row + 1]!);
      break;
    }
    case 'binary': {
      const offsets = data.valueOffsets as Int32Array;
      const values = data.values as Uint8Array;
      read = (row) => values.subarray(offsets[row]!, offsets[row + 1]!);
      break;
    }
    default: {
      const numbers = data.values as ArrayLike<number>;
      read = (row) => numbers[row]!;
    }
  }
  const bitmap = nullBitmap(data);
  if (!bitmap) return read;
  const offset = data.offset;
  return (row) => (isNullBit(bitmap, offset + row) ? null : read(row));
}

/** A reader of each column of one flow batch, in FLOW_COLUMNS order: for code that walks every row without making records. */
export function flowValueReaders(batch: RecordBatch): FlowValueReader[] {
  return FLOW_COLUMNS.map((c, i) => reader(c.type, batch.getChildAt(i)!.data[0]!, batch.numRows));
}

/** The rows of one flow batch as records keyed by column name. */
export function* flowRecords(batch: RecordBatch): Generator<FlowRecord> {
  const readers = flowValueReaders(batch);
  for (let row = 0; row < batch.numRows; ++row) {
    const record: FlowRecord = {};
    for (let i = 0; i < readers.length; ++i) record[FLOW_COLUMNS[i]!.name] = readers[i]!(row);
    yield record;
  }
}
