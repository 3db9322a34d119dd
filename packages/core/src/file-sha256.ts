/**
 * A capture file's SHA-256, which identifies it in the store (ingest) and
 * proves it unchanged (extract).
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * The SHA-256 of the file's bytes, in hex. Read in 1 MB chunks: with the
 * stream's default 64 KB, hashing a 777 MB capture took 0.75-0.94 s instead
 * of 0.52 (OpenSSL alone: 0.49).
 */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
