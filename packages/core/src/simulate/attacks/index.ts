/**
 * The attack generators by category, and where in the capture each one
 * runs: a slot given as fractions of the capture's duration, with a longest
 * length in seconds (attacks are no longer in longer captures, only
 * squeezed in shorter ones). The slots are spread over the capture so
 * episodes seldom overlap, and none starts before a fifth of the capture
 * has gone by except the beacon, which needs most of it; the traffic
 * spike comes late enough for its host to have a baseline.
 * @module
 */
import type { AttackKind } from '../options.js';
import type { AttackGenerator } from './attack.js';
import { beaconing } from './beaconing.js';
import { bruteForce } from './brute-force.js';
import { ddos } from './ddos.js';
import { dnsTunnel } from './dns-tunnel.js';
import { icmpTunnel } from './icmp-tunnel.js';
import { ipSweep } from './ip-sweep.js';
import { payloadSignature } from './payload-signature.js';
import { portScan } from './port-scan.js';
import { synFlood } from './syn-flood.js';
import { threatIntel } from './threat-intel.js';
import { trafficSpike } from './traffic-spike.js';

export const ATTACK_GENERATORS: Readonly<Record<AttackKind, AttackGenerator>> = {
  port_scan: portScan,
  ip_sweep: ipSweep,
  syn_flood: synFlood,
  ddos,
  traffic_spike: trafficSpike,
  brute_force: bruteForce,
  beaconing,
  dns_tunnel: dnsTunnel,
  icmp_tunnel: icmpTunnel,
  payload_signature: payloadSignature,
  threat_intel: threatIntel,
};

/** Slot of each attack: start and end as fractions of the capture, and its longest length in seconds. */
export const ATTACK_SLOTS: Readonly<Record<AttackKind, { from: number; to: number; longest: number }>> = {
  beaconing: { from: 0.06, to: 0.96, longest: Infinity },
  port_scan: { from: 0.2, to: 0.28, longest: 30 },
  brute_force: { from: 0.22, to: 0.92, longest: 210 },
  dns_tunnel: { from: 0.3, to: 0.5, longest: 70 },
  syn_flood: { from: 0.38, to: 0.42, longest: 10 },
  ip_sweep: { from: 0.42, to: 0.52, longest: 40 },
  icmp_tunnel: { from: 0.5, to: 0.68, longest: 60 },
  traffic_spike: { from: 0.55, to: 0.6, longest: 15 },
  ddos: { from: 0.62, to: 0.74, longest: 40 },
  payload_signature: { from: 0.76, to: 0.86, longest: 30 },
  threat_intel: { from: 0.84, to: 0.92, longest: 25 },
};

/** The slot of `kind` in a capture from `start` lasting `duration` microseconds. */
export function attackSlot(kind: AttackKind, start: number, duration: number): { start: number; end: number } {
  const s = ATTACK_SLOTS[kind];
  const from = start + s.from * duration;
  return { start: from, end: Math.min(start + s.to * duration, from + s.longest * 1e6) };
}
