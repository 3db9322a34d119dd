/**
 * The frames one part of a simulation produced, each with its time, cut to
 * the capture's snap length as libpcap would store it, and the number of
 * conversations (flows) they belong to.
 * @module
 */

export interface TimedFrame {
  /** Microseconds since the Unix epoch. */
  t: number;
  /** The bytes stored: the frame, cut to the snap length. */
  frame: Uint8Array;
  /** The frame's length on the wire. */
  wire: number;
}

export class Trace {
  readonly frames: TimedFrame[] = [];
  #flows = 0;
  #ipId = 0;

  constructor(readonly snaplen: number) {}

  add(t: number, frame: Uint8Array): void {
    // A copy of the stored part, so a large frame's buffer is not kept alive.
    const stored = frame.length > this.snaplen ? frame.slice(0, this.snaplen) : frame;
    this.frames.push({ t: Math.round(t), frame: stored, wire: frame.length });
  }

  /** Counts one more conversation (a TCP connection, a UDP exchange, an ICMP pair). */
  newFlow(): void {
    this.#flows++;
  }

  /**
   * An IP identification for a datagram. They only have to differ between
   * datagrams in flight (fragments are matched by them), so one running
   * counter per trace does.
   */
  nextIpId(): number {
    this.#ipId = (this.#ipId + 1) & 0xffff;
    return this.#ipId;
  }

  get flows(): number {
    return this.#flows;
  }
}
