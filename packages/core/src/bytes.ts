/** Byte arrays laid end to end: frames, protocol messages, records. */
export function concatBytes(...chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * A Buffer over the same memory as `view`, not a copy: a column's bytes, whose
 * strings Buffer's `toString` decodes by range, without a view object per
 * value and in about half the time of a TextDecoder (which goes through UTF-8).
 */
export function bufferOver(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
