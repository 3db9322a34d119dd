/**
 * The simulation: the organisation's normal traffic and the chosen attacks,
 * each from its own random stream, merged in time order into one pcap,
 * with a label for every attack episode and the indicator list the
 * threat-intel attack needs.
 * @module
 */
import type { AttackLabel } from '../evaluate/labels.js';
import { isoMicros } from '../iso-time.js';
import { PcapWriter } from '../synth/pcap-writer.js';
import { ATTACK_GENERATORS, attackSlot } from './attacks/index.js';
import { benignTraffic } from './benign/index.js';
import { Network } from './network.js';
import { type AttackKind, resolveSimulationOptions, type ResolvedSimulationOptions, type SimulationOptions } from './options.js';
import { Rng } from './random.js';
import type { Scene } from './scene.js';
import { type TimedFrame, Trace } from './trace.js';

export type { TimedFrame } from './trace.js';

/** The frames of one part of a simulation (the normal traffic, or one attack) and the labels of its episodes. */
export interface Traffic {
  /** In the order they were made, not in time order. */
  frames: TimedFrame[];
  /** Conversations made. */
  flows: number;
  labels: AttackLabel[];
  /** The indicator list file's text, for the threat-intel attack. */
  intel?: string;
}

export interface Simulation {
  /** The capture: a classic little-endian microsecond pcap. */
  pcap: Buffer;
  /** One label per attack episode, in start order. */
  labels: AttackLabel[];
  /** The indicator list file's text, when threat_intel is among the attacks. */
  intel?: string;
  packets: number;
  /** Conversations made, the normal ones under `benign`, each attack's under its category. */
  flows: Partial<Record<'benign' | AttackKind, number>>;
  options: ResolvedSimulationOptions;
}

const endOf = (o: ResolvedSimulationOptions) => o.startUs + o.durationSeconds * 1e6;

// Conversations still going when the capture ends are cut there, as stopping a capture cuts them.
const inCapture = (frames: TimedFrame[], end: number) => frames.filter((f) => f.t < end);

function benignTrafficOf(o: ResolvedSimulationOptions, net: Network): Traffic {
  const trace = new Trace(o.snaplen);
  benignTraffic({ net, rng: Rng.stream(o.seed, 'benign'), trace, start: o.startUs, end: endOf(o) });
  return { frames: inCapture(trace.frames, endOf(o)), flows: trace.flows, labels: [] };
}

function attackTrafficOf(kind: AttackKind, o: ResolvedSimulationOptions, net: Network): Traffic {
  const rng = Rng.stream(o.seed, `attack:${kind}`);
  const capture = { start: o.startUs, end: endOf(o) };
  const episode = (): Scene => ({ net, rng, trace: new Trace(o.snaplen), ...capture });
  const out = ATTACK_GENERATORS[kind]({ net, rng, slot: attackSlot(kind, capture.start, capture.end - capture.start), scale: o.scale[kind], episode });
  const episodes = out.episodes.map((e) => ({ ...e, frames: inCapture(e.trace.frames, capture.end) })).filter((e) => e.frames.length > 0);
  return {
    frames: episodes.flatMap((e) => e.frames),
    flows: episodes.reduce((n, e) => n + e.trace.flows, 0),
    labels: episodes.map((e, i) => {
      const first = e.frames.reduce((t, f) => Math.min(t, f.t), Infinity);
      const last = e.frames.reduce((t, f) => Math.max(t, f.t), -Infinity);
      return {
        id: `${kind}-${i + 1}`,
        capture: o.captureName,
        category: kind,
        ...(e.attacker !== undefined && { attacker: e.attacker }),
        ...(e.victim !== undefined && { victim: e.victim }),
        start: isoMicros(first),
        end: isoMicros(last),
        proto: e.proto,
        ...(e.dst_port !== undefined && { dst_port: e.dst_port }),
        note: e.note,
      };
    }),
    ...(out.intel !== undefined && { intel: out.intel }),
  };
}

/**
 * One attack's frames and labels on their own, exactly as `simulate` with
 * the same options mixes them in (e.g. to feed one detector in a test).
 */
export function attackTraffic(kind: AttackKind, options: SimulationOptions = {}): Traffic {
  const o = resolveSimulationOptions({ ...options, attacks: [kind] });
  return attackTrafficOf(kind, o, new Network(o.seed));
}

/** Makes a capture of normal traffic with the chosen attacks, and its labels. */
export function simulate(options: SimulationOptions = {}): Simulation {
  const o = resolveSimulationOptions(options);
  const net = new Network(o.seed);
  const parts: [string, Traffic][] = [['benign', benignTrafficOf(o, net)], ...o.attacks.map((kind): [string, Traffic] => [kind, attackTrafficOf(kind, o, net)])];

  const frames = parts.flatMap(([, p]) => p.frames);
  frames.sort((a, b) => a.t - b.t); // stable: frames of the same microsecond keep their order
  const writer = new PcapWriter({ snaplen: o.snaplen });
  for (const f of frames) writer.add(f.t, f.frame, f.wire);

  const labels = parts.flatMap(([, p]) => p.labels).sort((a, b) => a.start!.localeCompare(b.start!));
  const intel = parts.find(([, p]) => p.intel !== undefined)?.[1].intel;
  return {
    pcap: writer.toBuffer(),
    labels,
    ...(intel !== undefined && { intel }),
    packets: frames.length,
    flows: Object.fromEntries(parts.map(([name, p]) => [name, p.flows])),
    options: o,
  };
}
