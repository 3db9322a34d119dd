/**
 * Packets of stored flows, read back from the original captures. The store
 * says which flow records are wanted (by Community ID or an SQL condition on
 * `flows`) and where their captures are (`captures.path`); the addon reads
 * each capture again on a native thread and writes the frames of exactly
 * those records to one pcap, byte for byte. A capture that is gone, or
 * whose size or SHA-256 differs from the one ingested, is refused: its
 * flows no longer describe it. See docs/export.md.
 *
 * @example
 * import { extractFlows, Store } from '@mommynet/core';
 * const store = await Store.open('mommy.duckdb', { readOnly: true });
 * const r = await extractFlows(store, { communityIds: ['1:LQU9qZlK+B5F3KDmev6m5PMibrg='] }, 'out.pcap');
 * console.log(r.packets, r.format);
 * store.close();
 * @module
 */
import { renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

import { CaptureError, fromNative } from './errors.js';
import { fileSha256 } from './file-sha256.js';
import { native, type NativeExtractSelection } from './native.js';
import { duckdbReason, type Store } from './store/database.js';

// What extractFlows throws besides ExtractError, for importers of this module
// alone (`@mommynet/core/extract`, which loads neither Arrow nor the models).
export { CaptureError };

export interface FlowSelector {
  /** Community IDs (v1, "1:..."): every record carrying one of them. */
  communityIds?: string[];
  /** An SQL condition on the columns of `flows`, e.g. `dst_port = 443 AND src_ip = '10.0.0.2'`. */
  where?: string;
}

export interface ExtractOptions {
  /**
   * How a capture is checked against its `captures` row before its packets
   * are trusted: 'size', or 'sha256' (also the size; hashed while the
   * packets are read). Default 'sha256'.
   */
  verify?: 'size' | 'sha256';
}

export interface ExtractedCapture {
  captureId: number;
  path: string;
  /** Flow records of this capture that were selected. */
  flows: number;
  /** Frames read, and frames written. */
  frames: number;
  packets: number;
}

export interface ExtractResult {
  /** Flow records selected. */
  flows: number;
  packets: number;
  /** Captured frame bytes written. */
  bytes: number;
  /** pcap (µs), pcap-ns, or pcapng when the frames have several link types. */
  format: 'pcap' | 'pcap-ns' | 'pcapng';
  linktypes: number[];
  captures: ExtractedCapture[];
  /** Captures damaged partway: their frames before the damage were written. */
  damaged: CaptureError[];
}

export type ExtractErrorCode =
  | 'bad_selector'
  | 'no_flows'
  | 'capture_missing'
  | 'capture_changed'
  | 'capture_unreadable'
  | 'output_failed';

export class ExtractError extends Error {
  override readonly name = 'ExtractError';
  constructor(
    message: string,
    readonly code: ExtractErrorCode,
    /** The capture concerned, for capture_* codes. */
    readonly captureId?: number,
  ) {
    super(message);
  }
}

/** Community ID v1: a seed-independent prefix, then base64 of a SHA-1 digest. */
const COMMUNITY_ID = /^1:[A-Za-z0-9+/]{27}=$/;

interface SelectedFlow {
  capture_id: number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  proto: number | null;
  vlan: number;
  inner_vlan: number;
  start_us: bigint;
  end_us: bigint;
}

interface CaptureRow {
  capture_id: number;
  path: string;
  size: bigint;
  sha256: string;
}

function condition(selector: FlowSelector): string {
  const parts: string[] = [];
  const ids = selector.communityIds ?? [];
  for (const id of ids)
    if (typeof id !== 'string' || !COMMUNITY_ID.test(id))
      throw new ExtractError(`'${id}' is not a Community ID (1:<28 base64 characters>)`, 'bad_selector');
  if (ids.length) parts.push(`community_id IN (${ids.map((id) => `'${id}'`).join(', ')})`);
  if (selector.where !== undefined) {
    if (typeof selector.where !== 'string' || selector.where.trim() === '')
      throw new ExtractError('where must be a non-empty SQL condition', 'bad_selector');
    parts.push(`(${selector.where})`);
  }
  if (!parts.length) throw new ExtractError('name flows by Community ID or by an SQL condition', 'bad_selector');
  return parts.join(' AND ');
}

async function selectFlows(store: Store, selector: FlowSelector): Promise<SelectedFlow[]> {
  const sql = `SELECT capture_id, src_ip, dst_ip, src_port, dst_port, proto, vlan, inner_vlan,
      epoch_us(start_time) AS start_us, epoch_us(end_time) AS end_us
    FROM (SELECT * FROM flows WHERE ${condition(selector)})
    ORDER BY capture_id, start_time`;
  try {
    // A prepared statement is one statement: the condition cannot append another.
    const prepared = await store.connection.prepare(sql);
    return (await prepared.runAndReadAll()).getRowObjectsJS() as unknown as SelectedFlow[];
  } catch (err) {
    throw new ExtractError(`bad flow condition: ${duckdbReason(err)}`, 'bad_selector');
  }
}

/** The file is the one ingested: same size now; the SHA-256 is compared later, by the caller. */
function checkCapture(c: CaptureRow): void {
  const what = `capture ${c.capture_id} (${c.path})`;
  if (c.path === '-' || /^\/(dev\/(stdin|fd\/)|proc\/self\/fd\/)/.test(c.path))
    throw new ExtractError(`${what} was read from a pipe; its packets cannot be read again`, 'capture_unreadable', c.capture_id);
  let size: number;
  try {
    const st = statSync(c.path);
    if (!st.isFile()) throw new ExtractError(`${what} is not a regular file; its packets cannot be read again`, 'capture_unreadable', c.capture_id);
    size = st.size;
  } catch (err) {
    if (err instanceof ExtractError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new ExtractError(`${what} is gone: no such file`, 'capture_missing', c.capture_id);
    throw new ExtractError(`${what}: ${e.message}`, 'capture_unreadable', c.capture_id);
  }
  if (size !== Number(c.size))
    throw new ExtractError(
      `${what} has changed since it was ingested (${size} bytes, was ${c.size}); its flows no longer describe it`,
      'capture_changed',
      c.capture_id,
    );
}

const toNumber = (v: unknown) => Number(v);

/**
 * Writes the packets of the selected flow records to `output` (a pcap; see
 * ExtractResult.format). The file appears only when everything succeeded.
 * Throws an ExtractError, or a CaptureError when a capture cannot be read.
 */
export async function extractFlows(
  store: Store,
  selector: FlowSelector,
  output: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  if (typeof output !== 'string' || output === '') throw new TypeError('output must be a non-empty path');
  const verify = options.verify ?? 'sha256';
  if (verify !== 'size' && verify !== 'sha256') throw new RangeError(`option verify must be 'size' or 'sha256', not '${verify}'`);

  const flows = await selectFlows(store, selector);
  if (!flows.length) throw new ExtractError('no flow in the store matches', 'no_flows');
  const ids = [...new Set(flows.map((f) => toNumber(f.capture_id)))];
  const captures = await store.all<CaptureRow>(
    `SELECT capture_id, path, size, sha256 FROM captures WHERE capture_id IN (${ids.join(', ')})
     ORDER BY first_packet NULLS LAST, capture_id`,
  );
  for (const id of ids)
    if (!captures.some((c) => toNumber(c.capture_id) === id))
      throw new ExtractError(`capture ${id} has flows but no row in the captures table`, 'capture_missing', id);
  for (const c of captures) checkCapture(c);

  const byCapture = new Map<number, NativeExtractSelection[]>();
  for (const f of flows) {
    const list = byCapture.get(toNumber(f.capture_id)) ?? [];
    list.push({
      src: f.src_ip,
      dst: f.dst_ip,
      // ARP exchanges have no IP protocol (null): their key says ARP instead.
      proto: f.proto ?? 0,
      ...(f.proto === null && { arp: true }),
      srcPort: f.src_port,
      dstPort: f.dst_port,
      vlan: f.vlan,
      innerVlan: f.inner_vlan,
      start: Number(f.start_us),
      end: Number(f.end_us),
    });
    byCapture.set(toNumber(f.capture_id), list);
  }
  const inputs = captures.map((c) => ({ path: c.path, selections: byCapture.get(toNumber(c.capture_id))! }));

  const target = resolve(output);
  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  const hashes = verify === 'sha256' ? captures.map((c) => fileSha256(c.path).catch((err: Error) => err)) : [];
  try {
    let result;
    try {
      result = await native.extractPackets(inputs, partial);
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code === 'output_failed') throw new ExtractError(`cannot write ${output}: ${e.message.replace(`${partial}: `, '')}`, 'output_failed');
      const source = inputs.find((i) => e.message.startsWith(i.path))?.path ?? inputs[0]!.path;
      throw fromNative(err, source);
    }
    for (const [i, h] of (await Promise.all(hashes)).entries()) {
      const c = captures[i]!;
      if (h instanceof Error) throw new ExtractError(`capture ${c.capture_id} (${c.path}): ${h.message}`, 'capture_unreadable', toNumber(c.capture_id));
      if (h !== c.sha256)
        throw new ExtractError(
          `capture ${c.capture_id} (${c.path}) has changed since it was ingested (SHA-256 differs); its flows no longer describe it`,
          'capture_changed',
          toNumber(c.capture_id),
        );
    }
    try {
      renameSync(partial, target);
    } catch (err) {
      throw new ExtractError(`cannot write ${output}: ${(err as Error).message}`, 'output_failed');
    }
    return {
      flows: flows.length,
      packets: result.packets,
      bytes: result.bytes,
      format: result.format,
      linktypes: result.linktypes,
      captures: result.inputs.map((r, i) => ({
        captureId: toNumber(captures[i]!.capture_id),
        path: r.path,
        flows: inputs[i]!.selections.length,
        frames: r.frames,
        packets: r.packets,
      })),
      damaged: result.inputs.flatMap((r) => (r.error ? [fromNative(r.error, r.path) as CaptureError] : [])),
    };
  } finally {
    rmSync(partial, { force: true });
  }
}
