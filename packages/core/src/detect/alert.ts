/**
 * Alerts: what a detector reports, one per attacker/victim/category
 * episode, and its Suricata-EVE form so Filebeat, Splunk and jq pipelines
 * take it as it is.
 *
 * Severity: 1 critical, 2 high, 3 medium, 4 low (EVE's convention: 1 is the
 * highest). Each detector documents when it uses which.
 *
 * @example
 * import { toEve } from '@mommynet/core';
 * process.stdout.write(JSON.stringify(toEve(alert)) + '\n');
 * @module
 */
import { isoMicros } from '../iso-time.js';

export const ALERT_CATEGORIES = [
  'port_scan',
  'ip_sweep',
  'syn_flood',
  'ddos',
  'traffic_spike',
  'brute_force',
  'beaconing',
  'dns_tunnel',
  'icmp_tunnel',
  'payload_signature',
  'threat_intel',
  'ml_anomaly',
] as const;
export type AlertCategory = (typeof ALERT_CATEGORIES)[number];
export type Severity = 1 | 2 | 3 | 4;

export interface Alert {
  category: AlertCategory;
  severity: Severity;
  detector: string;
  /** Episode start and last evidence, microseconds since the epoch (UTC). */
  start: number;
  end: number;
  src_ip?: string;
  src_port?: number;
  dst_ip?: string;
  dst_port?: number;
  proto?: number;
  community_id?: string;
  score?: number;
  /** One line for a person; may quote attacker-controlled text (escape when shown). */
  message: string;
  /** The evidence: thresholds crossed, counts, sample Community IDs, matched pattern. */
  details: Record<string, unknown>;
}

/** Alerts in start order; equal starts by detector, then by addresses, so any split of the detectors gives one order. */
export function alertOrder(a: Alert, b: Alert): number {
  return (
    a.start - b.start ||
    a.detector.localeCompare(b.detector) ||
    (a.src_ip ?? '').localeCompare(b.src_ip ?? '') ||
    (a.dst_ip ?? '').localeCompare(b.dst_ip ?? '') ||
    a.end - b.end
  );
}

const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'IPv6-ICMP', 132: 'SCTP' };

/** The alert as one Suricata EVE JSON object (event_type "alert"). */
export function toEve(a: Alert): Record<string, unknown> {
  return {
    timestamp: isoMicros(a.start),
    event_type: 'alert',
    ...(a.src_ip !== undefined && { src_ip: a.src_ip }),
    ...(a.src_port !== undefined && { src_port: a.src_port }),
    ...(a.dst_ip !== undefined && { dest_ip: a.dst_ip }),
    ...(a.dst_port !== undefined && { dest_port: a.dst_port }),
    ...(a.proto !== undefined && { proto: PROTO_NAMES[a.proto] ?? String(a.proto) }),
    ...(a.community_id !== undefined && { community_id: a.community_id }),
    alert: { action: 'allowed', signature: a.message, category: a.category, severity: a.severity },
    mommynet: { detector: a.detector, end: isoMicros(a.end), ...(a.score !== undefined && { score: a.score }), details: a.details },
  };
}
