/**
 * Opening an exported MommyNet model with onnxruntime-node: the options both
 * scorers take, the feature names the model records in its metadata, and
 * onnxruntime itself, loaded on first use so that commands which never
 * score (query, export) do not pay for its native library.
 * @module
 */
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import type * as Ort from 'onnxruntime-node';

/** Metadata key holding the model's input feature names (JSON array), written at export. */
export const FEATURES_KEY = 'mommynet.features';

export interface SessionOptions {
  /** onnxruntime intra-op threads (default: onnxruntime's choice, one per core). */
  threads?: number;
  /**
   * Whether waiting intra-op threads spin (default true, onnxruntime's own
   * default). The tree ensemble meets its threads after every 128 rows:
   * spinning is fastest when the cores are free (2 threads on 2 idle cores:
   * 1.02 M rows/s spinning, 0.85 M not), but when another process holds a
   * core a descheduled thread stalls every block (0.16–0.30 M spinning,
   * 0.40–0.51 M not). Pass false where capture and detection share the cores.
   */
  spinning?: boolean;
}

export interface OpenModel {
  ort: typeof Ort;
  session: Ort.InferenceSession;
  featureNames: string[];
}

let runtime: Promise<typeof Ort> | undefined;

/** onnxruntime-node, imported once. */
export function onnxRuntime(): Promise<typeof Ort> {
  return (runtime ??= import('onnxruntime-node'));
}

/** Checks the options, reads the feature names and starts an onnxruntime session; `owner` and `kind` name the model in errors. */
export async function openModel(bytes: Uint8Array, options: SessionOptions, owner: string, kind: string): Promise<OpenModel> {
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new RangeError(`${owner}: threads must be a positive integer, got ${options.threads}`);
  }
  if (options.spinning !== undefined && typeof options.spinning !== 'boolean') {
    throw new TypeError(`${owner}: spinning must be a boolean, got ${String(options.spinning)}`);
  }
  const names = fromBinary(ModelProtoSchema, bytes).metadataProps.find((p) => p.key === FEATURES_KEY)?.value;
  if (names === undefined) throw new TypeError(`${owner}: the model has no ${FEATURES_KEY} metadata; is it an exported ${kind}?`);
  const ort = await onnxRuntime();
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
    ...(options.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  });
  return { ort, session, featureNames: JSON.parse(names) as string[] };
}

/** A rows-per-run option: a positive integer, `fallback` when absent; `owner` and `name` name it in the error. */
export function batchOption(value: number | undefined, fallback: number, owner: string, name: string): number {
  const size = value ?? fallback;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`${owner}: ${name} must be a positive integer, got ${size}`);
  return size;
}

/** What both scorers hold of their open model, and its release. */
export abstract class OnnxScorer {
  protected readonly ort: typeof Ort;
  protected readonly session: Ort.InferenceSession;
  /** The names recorded in the model (flow features, or host aggregates), in input order. */
  readonly featureNames: readonly string[];

  protected constructor(model: OpenModel) {
    ({ ort: this.ort, session: this.session, featureNames: this.featureNames } = model);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
