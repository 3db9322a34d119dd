/**
 * Errors from the capture core. A CaptureError carries a stable `code`
 * (listed below) and, for files, the path and the byte offset of the damage.
 *
 * Codes: open_failed, not_a_capture, unsupported_version, bad_header,
 * truncated, corrupt, io_error (files); no_such_device, permission_denied,
 * interface_down, activate_failed, bad_filter, fanout_failed, capture_failed
 * (live).
 * @module
 */

export type CaptureErrorCode =
  | 'open_failed'
  | 'not_a_capture'
  | 'unsupported_version'
  | 'bad_header'
  | 'truncated'
  | 'corrupt'
  | 'io_error'
  | 'no_such_device'
  | 'permission_denied'
  | 'interface_down'
  | 'activate_failed'
  | 'bad_filter'
  | 'fanout_failed'
  | 'capture_failed';

const LIVE_CODES: ReadonlySet<CaptureErrorCode> = new Set([
  'no_such_device',
  'permission_denied',
  'interface_down',
  'activate_failed',
  'bad_filter',
  'fanout_failed',
  'capture_failed',
]);

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    message: string,
    readonly code: CaptureErrorCode,
    /** The capture file, or the interface for live capture. */
    readonly source: string,
    /** Byte offset in the (decompressed) file where the damage starts. */
    readonly offset?: number,
  ) {
    super(message);
  }

  /** Damage inside a file that was read up to that point (flows before it were delivered). */
  get partial(): boolean {
    return this.code === 'truncated' || this.code === 'corrupt' || (this.code === 'io_error' && this.offset !== undefined);
  }

  /** A live-capture failure (interface, permissions, filter). */
  get live(): boolean {
    return LIVE_CODES.has(this.code);
  }
}

/** Turns an error thrown or reported by the addon into a CaptureError. */
export function fromNative(err: unknown, source: string): unknown {
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
    const e = err as Error & { code: CaptureErrorCode; offset?: number };
    return new CaptureError(e.message, e.code, source, e.offset);
  }
  return err;
}
