/**
 * Wraps the addon's column buffers as an Arrow RecordBatch without copying:
 * each typed array is a view over the ArrayBuffer the C++ side filled.
 * @module
 */
import { type Data, makeData, RecordBatch, Struct } from 'apache-arrow';
import type { NativeBatch, NativeColumn } from '@mommynet/native';

import { FLOW_COLUMNS, type FlowColumnType } from './flow-columns.js';
import { arrowType, FLOW_SCHEMA } from './schema.js';

function values(type: FlowColumnType, buf: ArrayBuffer) {
  switch (type) {
    case 'u8':
    case 'utf8':
    case 'binary':
      return new Uint8Array(buf);
    case 'u16':
      return new Uint16Array(buf);
    case 'u32':
      return new Uint32Array(buf);
    case 'u64':
      return new BigUint64Array(buf);
    case 'f64':
      return new Float64Array(buf);
    case 'timestamp_us':
      return new BigInt64Array(buf);
  }
}

function columnData(type: FlowColumnType, rows: number, c: NativeColumn): Data {
  const nullBitmap = c.validity ? new Uint8Array(c.validity) : undefined;
  const common = { type: arrowType(type), length: rows, nullCount: c.nullCount, nullBitmap };
  if (type === 'utf8' || type === 'binary') {
    if (!c.offsets) throw new Error(`native batch: ${type} column without offsets`);
    return makeData({ ...common, valueOffsets: new Int32Array(c.offsets), data: new Uint8Array(c.values) } as never);
  }
  return makeData({ ...common, data: values(type, c.values) } as never);
}

/** The batch as a RecordBatch with FLOW_SCHEMA. */
export function toRecordBatch(batch: NativeBatch): RecordBatch {
  if (batch.columns.length !== FLOW_COLUMNS.length)
    throw new Error(`native batch has ${batch.columns.length} columns, the schema ${FLOW_COLUMNS.length}`);
  const children = FLOW_COLUMNS.map((col, i) => columnData(col.type, batch.rows, batch.columns[i]!));
  const struct = makeData({
    type: new Struct(FLOW_SCHEMA.fields as never),
    length: batch.rows,
    nullCount: 0,
    children,
  });
  return new RecordBatch(FLOW_SCHEMA, struct as never);
}
