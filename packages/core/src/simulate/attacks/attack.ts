/**
 * What an attack generator is given and what it gives back. A generator
 * lays out its episodes inside its slot of the capture, each in a trace of
 * its own so that the episode's time range is exactly that of its frames,
 * and says who attacked whom: the engine turns that into labels.
 * @module
 */
import type { Network } from '../network.js';
import type { Rng } from '../random.js';
import type { Scene } from '../scene.js';
import type { Trace } from '../trace.js';

export interface AttackContext {
  net: Network;
  rng: Rng;
  /** The part of the capture the attack runs in, microseconds. */
  slot: { start: number; end: number };
  /** Factor on the attack's medium size (see Intensity). */
  scale: number;
  /** A scene whose trace is new: one episode's frames go there. */
  episode(): Scene;
}

export interface AttackEpisode {
  trace: Trace;
  /** Addresses or CIDR prefixes; absent when any address may be the source. */
  attacker?: string | string[];
  victim?: string | string[];
  proto: 'tcp' | 'udp' | 'icmp' | 'arp';
  dst_port?: number;
  note: string;
}

export interface AttackOutput {
  episodes: AttackEpisode[];
  /** Text of an indicator list file the attack needs (threat_intel). */
  intel?: string;
}

export type AttackGenerator = (ctx: AttackContext) => AttackOutput;

/** `n` scaled by the intensity, at least `min`. */
export function scaled(ctx: AttackContext, n: number, min = 1): number {
  return Math.max(min, Math.round(n * ctx.scale));
}
