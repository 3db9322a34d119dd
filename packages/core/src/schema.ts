/**
 * The flow record as an Arrow schema (FLOW_SCHEMA), from the columns of
 * flow-columns.ts.
 *
 * @example
 * import { FLOW_SCHEMA } from '@mommynet/core';
 * console.log(FLOW_SCHEMA.fields.map((f) => f.name));
 * @module
 */
import {
  Binary,
  type DataType,
  Field,
  Float64,
  Schema,
  TimestampMicrosecond,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
} from 'apache-arrow';

import { FLOW_COLUMNS, type FlowColumnType } from './flow-columns.js';

export function arrowType(type: FlowColumnType): DataType {
  switch (type) {
    case 'u8':
      return new Uint8();
    case 'u16':
      return new Uint16();
    case 'u32':
      return new Uint32();
    case 'u64':
      return new Uint64();
    case 'f64':
      return new Float64();
    case 'timestamp_us':
      return new TimestampMicrosecond('UTC');
    case 'utf8':
      return new Utf8();
    case 'binary':
      return new Binary();
  }
}

export const FLOW_SCHEMA = new Schema(FLOW_COLUMNS.map((c) => new Field(c.name, arrowType(c.type), c.nullable)));
