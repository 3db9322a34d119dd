/**
 * Detection thresholds and their defaults, in line with established tools
 * (Zeek's scan policy: 20 ports or 25+ hosts within a few minutes; common
 * SYN-flood rules: 100 unanswered SYNs in 10 s). Episodes close after
 * `episodeGapSeconds` without new evidence.
 *
 * A network can have settings of its own (`networks`): flows from or to it
 * are then watched by detectors with those settings (see session.ts).
 * @module
 */
import { type BeaconingConfig, DEFAULT_BEACONING } from './detectors/beaconing.js';
import { type BruteForceConfig, DEFAULT_BRUTE_FORCE } from './detectors/brute-force.js';
import { DEFAULT_DDOS, type DdosConfig } from './detectors/ddos.js';
import { DEFAULT_DHCP_FLOOD, type DhcpFloodConfig } from './detectors/dhcp-flood.js';
import { DEFAULT_DNS_TUNNEL, type DnsTunnelConfig } from './detectors/dns-tunnel.js';
import { DEFAULT_ICMP_TUNNEL, type IcmpTunnelConfig } from './detectors/icmp-tunnel.js';
import { DEFAULT_PAYLOAD_SIGNATURE, type PayloadSignatureConfig } from './detectors/payload-signature.js';
import { DEFAULT_THREAT_INTEL, type ThreatIntelConfig } from './detectors/threat-intel.js';
import { DEFAULT_TRAFFIC_SPIKE, type TrafficSpikeConfig } from './detectors/traffic-spike.js';

/** Every detector's settings. */
export interface DetectionSettings {
  episodeGapSeconds: number;
  ddos: DdosConfig;
  dhcpFlood: DhcpFloodConfig;
  trafficSpike: TrafficSpikeConfig;
  bruteForce: BruteForceConfig;
  beaconing: BeaconingConfig;
  payloadSignature: PayloadSignatureConfig;
  threatIntel: ThreatIntelConfig;
  dnsTunnel: DnsTunnelConfig;
  icmpTunnel: IcmpTunnelConfig;
  portScan: { windowSeconds: number; minPorts: number; highPorts: number };
  ipSweep: { windowSeconds: number; minHosts: number; highHosts: number };
  synFlood: { windowSeconds: number; minAttempts: number; criticalAttempts: number };
}

export interface DetectionConfig extends DetectionSettings {
  /**
   * Most keys (hosts, host pairs) each detector tracks, per table; beyond
   * it the oldest state is evicted and counted. Bounds memory when a flood
   * brings millions of new addresses.
   */
  maxKeysPerDetector: number;
  /**
   * How late a flow may arrive after flows that started later: state is
   * kept this much longer than its window. An unanswered SYN ends by the TCP
   * idle timeout (300 s by default), so it comes out that late.
   */
  lateFlowSeconds: number;
  /** Networks with settings of their own (the most specific prefix wins when a flow matches several). */
  networks: NetworkSettings[];
}

/** The settings of one network: the whole configuration, with that network's changes applied. */
export interface NetworkSettings {
  /** Canonical prefixes (`10.0.5.0/24`, `2001:db8::/48`, or one address). */
  prefixes: string[];
  config: DetectionSettings;
}

/** Settings a network cannot change: the lists and pattern files are read once for every network. */
export const GLOBAL_SETTINGS = ['networks', 'maxKeysPerDetector', 'lateFlowSeconds', 'threatIntel', 'payloadSignature'] as const;

export const DEFAULT_DETECTION: DetectionConfig = {
  episodeGapSeconds: 300,
  // Many sources converging on one target, or UDP reflection onto it.
  ddos: DEFAULT_DDOS,
  // DHCP client messages flooding the network's DHCP service (reported as ddos).
  dhcpFlood: DEFAULT_DHCP_FLOOD,
  // A host's bytes per 10 s far above its own baseline.
  trafficSpike: DEFAULT_TRAFFIC_SPIKE,
  // Many short, alike logins to one authentication service.
  bruteForce: DEFAULT_BRUTE_FORCE,
  // Regular check-ins to one external peer.
  beaconing: DEFAULT_BEACONING,
  // Attack patterns in the first payload bytes (packages/core/data/signatures.txt).
  payloadSignature: DEFAULT_PAYLOAD_SIGNATURE,
  // Addresses, prefixes and domains from the user's lists (none by default).
  threatIntel: DEFAULT_THREAT_INTEL,
  // Encoded names, odd record types, many names under one parent.
  dnsTunnel: DEFAULT_DNS_TUNNEL,
  // ICMP echo with large, varying or random payloads.
  icmpTunnel: DEFAULT_ICMP_TUNNEL,
  // One source, one target: distinct ports probed (no payload, no completed handshake).
  portScan: { windowSeconds: 60, minPorts: 20, highPorts: 1000 },
  // One source, one port (or ICMP echo): distinct hosts probed.
  ipSweep: { windowSeconds: 60, minHosts: 50, highHosts: 1000 },
  // One target port: SYNs that never completed, from any number of sources.
  synFlood: { windowSeconds: 10, minAttempts: 100, criticalAttempts: 10000 },
  // A few hundred MB of detector state at the worst; a few thousand hosts need a few MB.
  maxKeysPerDetector: 100_000,
  // The flow table's TCP idle timeout: the latest an unanswered probe comes out.
  lateFlowSeconds: 300,
  // None by default: every address gets the settings above.
  networks: [],
};
