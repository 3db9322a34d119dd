/**
 * A capture file or a live interface as an async stream of flow batches.
 * Packets are decoded and aggregated on native threads; JavaScript receives
 * finished flows, thousands at a time, as Arrow RecordBatches.
 *
 * A damaged file still yields every flow decoded before the damage; the
 * iteration then throws a CaptureError that names the file and byte offset.
 *
 * @example
 * import { Capture } from '@mommynet/core';
 * const capture = Capture.openFile('trace.pcapng');
 * for await (const batch of capture) console.log(batch.numRows);
 * console.log(capture.stats());
 * @module
 */
import { type CaptureHandle, native, type NativeInfo, type NativeStats } from './native.js';
import type { RecordBatch } from 'apache-arrow';

import { toRecordBatch } from './arrow.js';
import { CaptureError, fromNative } from './errors.js';
import { type FileOptions, type LiveOptions, resolveFileOptions, resolveLiveOptions } from './options.js';

/** Running counters of a capture (the addon's own definition). */
export type CaptureStats = NativeStats;
/** What the capture is: format, compression, link types. */
export type CaptureInfo = NativeInfo;

// Captures still open when the process exits are closed first, so that no
// capture thread is running while Node tears its environment down.
const open = new Set<Capture>();
let exitHookInstalled = false;
function track(capture: Capture): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of open) c.close();
    });
  }
  open.add(capture);
}

export class Capture implements AsyncIterable<RecordBatch> {
  #handle: CaptureHandle;
  #done = false;

  private constructor(
    handle: CaptureHandle,
    /** The file path or interface name. */
    readonly source: string,
  ) {
    this.#handle = handle;
    track(this);
  }

  /** Opens a pcap, pcapng or gzip-compressed capture ("-" reads standard input). */
  static openFile(path: string, options?: FileOptions): Capture {
    if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
    const resolved = resolveFileOptions(options);
    try {
      return new Capture(native.openFile(path, resolved), path);
    } catch (err) {
      throw fromNative(err, path);
    }
  }

  /** Starts capturing on an interface (needs CAP_NET_RAW). */
  static openLive(options: LiveOptions): Capture {
    const resolved = resolveLiveOptions(options);
    try {
      return new Capture(native.openLive(resolved), resolved.interface);
    } catch (err) {
      throw fromNative(err, resolved.interface);
    }
  }

  /** The next batch of flows, or null at the end. Throws a CaptureError after the last batch of a damaged file. */
  async next(): Promise<RecordBatch | null> {
    if (this.#done) return null;
    const batch = await native.next(this.#handle);
    if (batch) return toRecordBatch(batch);
    this.#done = true;
    const failure = native.failure(this.#handle);
    if (failure) throw fromNative(failure, this.source) as CaptureError;
    return null;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordBatch> {
    try {
      for (let b = await this.next(); b; b = await this.next()) yield b;
    } finally {
      this.close();
    }
  }

  stats(): CaptureStats {
    return native.stats(this.#handle);
  }

  info(): CaptureInfo {
    return native.info(this.#handle);
  }

  /** Ends the capture early; every open flow is still delivered. Safe from a signal handler. */
  stop(): void {
    native.stop(this.#handle);
  }

  /** Ends the capture now and frees it; undelivered flows are dropped. Idempotent. */
  close(): void {
    this.#done = true;
    open.delete(this);
    native.close(this.#handle);
  }
}
