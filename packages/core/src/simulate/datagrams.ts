/**
 * Single UDP datagrams, ICMP echo messages and ARP exchanges between
 * simulated hosts, with each host's MAC, TTL and an IP identification,
 * added to a trace at a given time.
 * @module
 */
import { arpFrame, icmpEchoFrame, udpFrames } from '../synth/pcap-writer.js';
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

/**
 * `from` asks the LAN who has `target` (a broadcast request); `owner`, the
 * host with that address when there is one, answers after its round trip.
 */
export function arpExchange(trace: Trace, t: number, from: Host, target: string, owner?: Host): void {
  trace.add(t, arpFrame({ op: 'request', sender: from.ip, senderMac: from.mac, target }));
  if (owner) trace.add(t + owner.rtt, arpFrame({ op: 'reply', sender: owner.ip, senderMac: owner.mac, target: from.ip, targetMac: from.mac }));
}
