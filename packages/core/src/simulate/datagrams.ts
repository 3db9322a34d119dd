/**
 * Single UDP datagrams and ICMP echo messages between two simulated hosts,
 * with each host's MAC, TTL and an IP identification, added to a trace at
 * a given time.
 * @module
 */
import { icmpEchoFrame, udpFrames } from '../synth/pcap-writer.js';
import type { Host } from './network.js';
import type { Trace } from './trace.js';

export function udp(trace: Trace, t: number, from: Host, to: Host, srcPort: number, dstPort: number, payload: Uint8Array): void {
  const id = trace.nextIpId();
  for (const frame of udpFrames({ src: from.ip, dst: to.ip, srcPort, dstPort, srcMac: from.mac, dstMac: to.mac, ttl: from.ttl, id, payload })) {
    trace.add(t, frame);
  }
}

export interface EchoOptions {
  reply?: boolean;
  identifier: number;
  sequence: number;
  payload: Uint8Array;
}

export function icmpEcho(trace: Trace, t: number, from: Host, to: Host, o: EchoOptions): void {
  trace.add(t, icmpEchoFrame({ ...o, src: from.ip, dst: to.ip, srcMac: from.mac, dstMac: to.mac, ttl: from.ttl, id: trace.nextIpId() }));
}
