/**
 * What belongs to what in an evaluation: a flow to a labelled episode, a
 * flow to an alert, an alert to a labelled episode. The rules are the ones
 * docs/evaluate.md states; the scorer only counts.
 * @module
 */
import type { Alert } from '../detect/alert.js';
import { ARP_SWEEP_SERVICE } from '../detect/detectors/ip-sweep.js';
import type { Episode } from './labels.js';

/** The flow fields evaluation looks at; times in microseconds since the epoch. */
export interface EvaluatedFlow {
  src_ip: string;
  dst_ip: string;
  /** Null for ARP. */
  proto: number | null;
  dst_port: number;
  startUs: number;
  endUs: number;
}

/** The alert fields evaluation looks at (an Alert, or a row of the alerts table). */
export type EvaluatedAlert = Pick<Alert, 'category' | 'severity' | 'start' | 'end' | 'src_ip' | 'dst_ip' | 'proto'> & { details?: Alert['details'] };

function overlaps(aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  return aStart <= bEnd && bStart <= aEnd;
}

/**
 * A flow is part of an episode when it overlaps the episode's time range,
 * has its protocol and destination port (when the label names them), and
 * runs between the attacker and the victim in either direction (an absent
 * side matches any address).
 */
export function flowInEpisode(flow: EvaluatedFlow, episode: Episode): boolean {
  if (!overlaps(flow.startUs, flow.endUs, episode.startUs, episode.endUs)) return false;
  if (episode.proto !== undefined && flow.proto !== episode.proto) return false;
  if (episode.dstPort !== undefined && flow.dst_port !== episode.dstPort) return false;
  const { attacker, victim } = episode;
  const forward = (attacker?.has(flow.src_ip) ?? true) && (victim?.has(flow.dst_ip) ?? true);
  const reverse = (attacker?.has(flow.dst_ip) ?? true) && (victim?.has(flow.src_ip) ?? true);
  return forward || reverse;
}

/**
 * An alert covers a flow when the flow overlaps the alert's episode in time,
 * has the alert's protocol when the alert names one (an ARP sweep's alert,
 * which has no IP protocol, covers ARP exchanges only), and every address
 * the alert names is one of the flow's two endpoints (both named: exactly
 * its two endpoints).
 */
export function alertCoversFlow(alert: EvaluatedAlert, flow: EvaluatedFlow): boolean {
  if (!overlaps(flow.startUs, flow.endUs, alert.start, alert.end)) return false;
  if (alert.details?.service === ARP_SWEEP_SERVICE) {
    if (flow.proto !== null) return false;
  } else if (alert.proto !== undefined && alert.proto !== null && flow.proto !== alert.proto) return false;
  const { src_ip: a, dst_ip: b } = alert;
  if (a !== undefined && b !== undefined) {
    return (a === flow.src_ip && b === flow.dst_ip) || (a === flow.dst_ip && b === flow.src_ip);
  }
  const named = a ?? b;
  return named === undefined || named === flow.src_ip || named === flow.dst_ip;
}

/**
 * An alert reports an episode when it overlaps the episode in time and its
 * addresses fit the episode's attacker and victim in one orientation or the
 * other (a detector may name the victim as the source, e.g. the side that
 * answers a reflection attack). Category is compared by the caller.
 */
export function alertMatchesEpisode(alert: EvaluatedAlert, episode: Episode): boolean {
  if (!overlaps(alert.start, alert.end, episode.startUs, episode.endUs)) return false;
  const fits = (ip: string | undefined, side: Episode['attacker']) => ip === undefined || side === undefined || side.has(ip);
  const { src_ip: src, dst_ip: dst } = alert;
  return (fits(src, episode.attacker) && fits(dst, episode.victim)) || (fits(src, episode.victim) && fits(dst, episode.attacker));
}
