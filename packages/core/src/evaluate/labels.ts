/**
 * Ground truth for evaluation: one JSON object per line, each naming one
 * attack episode by who attacked whom, when, and in which category. A flow
 * belongs to an episode when its two endpoints match the attacker and victim
 * (in either direction) and it overlaps the time range; everything no label
 * claims is benign.
 *
 * ```jsonl
 * {"id":"scan-1","capture":"scan.pcap","category":"port_scan","attacker":"10.0.0.66","victim":"10.0.0.10","start":"2026-01-05T10:00:05Z","end":"2026-01-05T10:00:35Z","proto":"tcp"}
 * {"category":"syn_flood","victim":"10.0.0.10","dst_port":80}
 * ```
 *
 * Fields: `category` (required; an alert category), `attacker` and `victim`
 * (an address, a CIDR prefix, or a list of them; absent means any address,
 * as for spoofed sources), `start` and `end` (ISO 8601 times, inclusive;
 * absent means the whole capture), `capture` (a capture's file name; absent
 * means every capture evaluated), `proto` (`tcp`, `udp`, `icmp`, `icmpv6`,
 * `sctp`, a number, or `arp` for ARP exchanges), `dst_port`, `id` (default:
 * `<file>:<line>`), `note` (free text).
 * @module
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

import { ALERT_CATEGORIES, type AlertCategory } from '../detect/alert.js';
import { AddressSet } from '../net/address-set.js';

export interface AttackLabel {
  id: string;
  category: AlertCategory;
  /** Capture file name (no directory) this label is limited to. */
  capture?: string;
  attacker?: string | string[];
  victim?: string | string[];
  /** ISO 8601 times, inclusive. */
  start?: string;
  end?: string;
  proto?: string | number;
  dst_port?: number;
  note?: string;
}

/** A label ready for matching: address sets built and times in microseconds since the epoch. */
export interface Episode {
  label: AttackLabel;
  attacker?: AddressSet;
  victim?: AddressSet;
  startUs: number;
  endUs: number;
  /** An IP protocol number, or null for ARP (whose flows have no IP protocol). */
  proto?: number | null;
  dstPort?: number;
}

export class LabelError extends Error {
  override name = 'LabelError';
}

const PROTO_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };
const FIELDS = new Set(['id', 'category', 'capture', 'attacker', 'victim', 'start', 'end', 'proto', 'dst_port', 'note']);

function addressSet(value: unknown, where: string, field: string): AddressSet | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  const set = new AddressSet();
  for (const item of list) {
    if (typeof item !== 'string' || !set.add(item)) {
      throw new LabelError(`${where}: ${field} ${JSON.stringify(item)} is not an IP address or CIDR prefix`);
    }
  }
  return set;
}

function timeUs(value: unknown, where: string, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new LabelError(`${where}: ${field} ${JSON.stringify(value)} is not an ISO 8601 time`);
  // Date.parse keeps milliseconds; microseconds written after them are kept too.
  const micros = /\.\d{3}(\d{1,3})/.exec(value as string)?.[1]?.padEnd(3, '0');
  return ms * 1000 + (micros ? Number(micros) : 0);
}

function protoNumber(value: unknown, where: string): number | null | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.toLowerCase() === 'arp') return null;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 256) return value;
  if (typeof value === 'string' && value.toLowerCase() in PROTO_NUMBERS) return PROTO_NUMBERS[value.toLowerCase()];
  throw new LabelError(`${where}: proto ${JSON.stringify(value)} is not tcp, udp, icmp, icmpv6, sctp, arp or a protocol number`);
}

/** Parses one label line; `where` (file:line) prefixes every error. */
export function parseLabel(line: string, where: string): Episode {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    throw new LabelError(`${where}: not JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LabelError(`${where}: expected a JSON object`);
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!FIELDS.has(key)) throw new LabelError(`${where}: unknown field '${key}'`);
  if (!ALERT_CATEGORIES.includes(o.category as AlertCategory)) {
    throw new LabelError(`${where}: category ${JSON.stringify(o.category)} is not one of ${ALERT_CATEGORIES.join(', ')}`);
  }
  if (o.dst_port !== undefined && !(Number.isInteger(o.dst_port) && (o.dst_port as number) >= 0 && (o.dst_port as number) < 65536)) {
    throw new LabelError(`${where}: dst_port ${JSON.stringify(o.dst_port)} is not a port number`);
  }
  for (const key of ['id', 'capture', 'note'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'string') throw new LabelError(`${where}: ${key} must be a string`);
  }
  const label = { ...o, id: (o.id as string | undefined) ?? where } as AttackLabel;
  const startUs = timeUs(o.start, where, 'start', -Infinity);
  const endUs = timeUs(o.end, where, 'end', Infinity);
  if (endUs < startUs) throw new LabelError(`${where}: end is before start`);
  return {
    label,
    attacker: addressSet(o.attacker, where, 'attacker'),
    victim: addressSet(o.victim, where, 'victim'),
    startUs,
    endUs,
    proto: protoNumber(o.proto, where),
    dstPort: o.dst_port as number | undefined,
  };
}

/** Reads a labels file (JSON lines; blank lines and lines starting with `#` are skipped). */
export function loadLabels(file: string): Episode[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LabelError(`${file}: cannot read labels (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const episodes: Episode[] = [];
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    episodes.push(parseLabel(t, `${file}:${i + 1}`));
  });
  return episodes;
}

/** The episodes that apply to one capture (by file name). */
export function episodesFor(episodes: Episode[], capturePath: string): Episode[] {
  const name = basename(capturePath);
  return episodes.filter((e) => e.label.capture === undefined || e.label.capture === name);
}

/** The line a labels file holds for one episode (what the simulator writes). */
export function formatLabel(label: AttackLabel): string {
  return JSON.stringify(label);
}
