/**
 * A capture file's SHA-256, which identifies it in the store (ingest) and
 * proves it unchanged (extract).
 * @module
 */
import { fromNative } from './errors.js';
import { native } from './native.js';

export interface FileDigests {
  /** Of the bytes hashed: the whole file, or its first `length` bytes. */
  sha256: string;
  /** Of the first `prefixLength` bytes, when asked for and the bytes hashed reach that far. */
  prefixSha256?: string;
}

export interface DigestRange {
  /** Hash only the first `length` bytes (all of a shorter file). */
  length?: number;
  /** Also the digest of the first `prefixLength` bytes, from the same read. */
  prefixLength?: number;
}

/**
 * The SHA-256 of the file's bytes (or of a range from its start), in hex.
 * Computed by the addon on a thread of Node's pool, so that this thread
 * stays free while a file is hashed (an ingest appends the previous
 * capture's flows meanwhile). Rejects with a CaptureError (open_failed)
 * naming the file.
 */
export async function fileDigests(path: string, range: DigestRange = {}): Promise<FileDigests> {
  try {
    return await native.sha256File(path, range.length, range.prefixLength);
  } catch (err) {
    throw fromNative(err, path);
  }
}

/** The SHA-256 of the whole file, in hex (see fileDigests). */
export async function fileSha256(path: string): Promise<string> {
  return (await fileDigests(path)).sha256;
}
