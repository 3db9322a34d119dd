/**
 * A capture file's SHA-256, which identifies it in the store (ingest) and
 * proves it unchanged (extract).
 * @module
 */
import { fromNative } from './errors.js';
import { native } from './native.js';

/**
 * The SHA-256 of the file's bytes, in hex. Computed by the addon on a thread
 * of Node's pool, so that this thread stays free while a file is hashed
 * (an ingest appends the previous capture's flows meanwhile). Rejects with a
 * CaptureError (open_failed) naming the file.
 */
export async function fileSha256(path: string): Promise<string> {
  try {
    return await native.sha256File(path);
  } catch (err) {
    throw fromNative(err, path);
  }
}
