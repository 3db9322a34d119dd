/**
 * Writes ONNX models from TypeScript: the few protobuf shapes a model needs
 * (tensors, nodes with attributes, typed graph inputs and outputs), built
 * with the ONNX schema compiled for @bufbuild/protobuf. Both trained models
 * (the Isolation Forest and the LSTM) serialise through here.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType as AttrType,
  type AttributeProto,
  ModelProtoSchema,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType as DataType,
  type ValueInfoProto,
} from 'onnx-buf';

/** The ONNX-ML domain, home of the tree-ensemble operators. */
export const ML_DOMAIN = 'ai.onnx.ml';

/** Opsets every MommyNet model imports: opset 17 and ai.onnx.ml 3 are both run by onnxruntime 1.30. */
const OPSETS = [
  { domain: '', version: 17n },
  { domain: ML_DOMAIN, version: 3n },
];

/** IR version 8 pairs with opset 17. */
const IR_VERSION = 8n;

/** A dimension: a fixed size, or a name for a size chosen at run time (such as the batch). */
export type Dim = number | string;

/**
 * An attribute value. ONNX tells INT from FLOAT by type, which JS numbers do not
 * carry: plain numbers are floats, integers are written `{ int: 3 }` or `{ ints: [1, 2] }`.
 */
export type AttributeValue = number | string | number[] | string[] | Float32Array | { int: number } | { ints: ArrayLike<number> } | TensorProto;

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
  domain?: string;
  name?: string;
}

export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  /** Stored in the model's metadata_props (for example the model card's hash). */
  metadata?: Record<string, string>;
  docString?: string;
}

const encoder = new TextEncoder();

/** A float tensor input or output of the graph. */
export function floatValue(name: string, dims: Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      denotation: '',
      value: {
        case: 'tensorType',
        value: {
          elemType: DataType.FLOAT,
          shape: {
            dim: dims.map((d) => ({
              denotation: '',
              value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d },
            })),
          },
        },
      },
    },
  } as ValueInfoProto;
}

/** A float32 initializer (weights, constants) stored as raw little-endian bytes. */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  if (data.length !== dims.reduce((a, b) => a * b, 1)) {
    throw new Error(`tensor ${name}: ${data.length} values for shape [${dims.join(', ')}]`);
  }
  return {
    name,
    dims: dims.map(BigInt),
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  } as TensorProto;
}

/** An int64 initializer (shapes, axes, indices). */
export function int64Tensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  const data = BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
  return {
    name,
    dims: dims.map(BigInt),
    dataType: DataType.INT64,
    rawData: new Uint8Array(data.buffer),
  } as TensorProto;
}

function attribute(name: string, value: AttributeValue): AttributeProto {
  const base = { name } as Partial<AttributeProto>;
  if (typeof value === 'string') return { ...base, type: AttrType.STRING, s: encoder.encode(value) } as AttributeProto;
  if (typeof value === 'number') return { ...base, type: AttrType.FLOAT, f: value } as AttributeProto;
  if (value instanceof Float32Array) return { ...base, type: AttrType.FLOATS, floats: Array.from(value) } as AttributeProto;
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === 'string') {
      return { ...base, type: AttrType.STRINGS, strings: (value as string[]).map((s) => encoder.encode(s)) } as AttributeProto;
    }
    return { ...base, type: AttrType.FLOATS, floats: value as number[] } as AttributeProto;
  }
  if ('int' in value) return { ...base, type: AttrType.INT, i: BigInt(value.int) } as AttributeProto;
  if ('ints' in value) return { ...base, type: AttrType.INTS, ints: Array.from(value.ints, (v) => BigInt(v)) } as AttributeProto;
  return { ...base, type: AttrType.TENSOR, t: value } as AttributeProto;
}

function node(spec: NodeSpec, index: number): NodeProto {
  return {
    name: spec.name ?? `${spec.op}_${index}`,
    opType: spec.op,
    domain: spec.domain ?? '',
    input: spec.inputs,
    output: spec.outputs,
    attribute: Object.entries(spec.attributes ?? {}).map(([k, v]) => attribute(k, v)),
  } as NodeProto;
}

/** Serialises a graph to the bytes of an .onnx file. */
export function modelBytes(graph: GraphSpec): Uint8Array {
  const model = create(ModelProtoSchema, {
    irVersion: IR_VERSION,
    producerName: 'mommynet',
    opsetImport: OPSETS,
    docString: graph.docString ?? '',
    metadataProps: Object.entries(graph.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: graph.nodes.map(node),
      input: graph.inputs,
      output: graph.outputs,
      initializer: graph.initializers ?? [],
    },
  });
  return toBinary(ModelProtoSchema, model);
}
