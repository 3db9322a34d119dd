/**
 * Simulation options, their defaults and their checks: a message that names
 * the option and its valid range for every bad value, and misspelled
 * options refused rather than ignored.
 * @module
 */
import { ALERT_CATEGORIES, type AlertCategory } from '../detect/alert.js';

/** The attack categories the simulator makes, one generator each: every alert category but `ml_anomaly`, in their order. */
export type AttackKind = Exclude<AlertCategory, 'ml_anomaly'>;
export const ATTACK_KINDS: readonly AttackKind[] = ALERT_CATEGORIES.filter((c): c is AttackKind => c !== 'ml_anomaly');

/**
 * How hard an attack pushes: a factor on its medium size. `medium` (1) is
 * sized so that the detectors fire at their default thresholds; `low` (0.2)
 * stays at or below them; `high` (5) goes far past them.
 */
export type Intensity = 'low' | 'medium' | 'high' | number;
export const INTENSITY_LEVELS = { low: 0.2, medium: 1, high: 5 } as const;
const MAX_INTENSITY = 20;

export interface SimulationOptions {
  /** Seed of every random draw; the same options give byte-identical captures. Default 1. */
  seed?: number;
  /** Seconds of capture. Default 300, from 30 to 3600. */
  durationSeconds?: number;
  /** When the capture starts, ISO 8601. Default 2026-01-05T10:00:00Z. */
  start?: string;
  /** Attacks mixed into the normal traffic. Default: all of them. */
  attacks?: readonly AttackKind[];
  /** One intensity for every attack, or one per attack (others medium). Default medium. */
  intensity?: Intensity | Partial<Record<AttackKind, Intensity>>;
  /** The capture's file name, as labels name it. Default `simulated.pcap`. */
  captureName?: string;
  /** Bytes kept of each frame, as libpcap's snapshot length. Default 256; 65535 keeps whole frames. */
  snaplen?: number;
}

export interface ResolvedSimulationOptions {
  seed: number;
  durationSeconds: number;
  /** Microseconds since the epoch. */
  startUs: number;
  attacks: AttackKind[];
  /** Factor per attack. */
  scale: Record<AttackKind, number>;
  captureName: string;
  snaplen: number;
}

export const DEFAULT_START = '2026-01-05T10:00:00Z';
const KNOWN = new Set(['seed', 'durationSeconds', 'start', 'attacks', 'intensity', 'captureName', 'snaplen']);

/** The factor of an intensity; a RangeError naming `what` when it is none. */
export function intensityScale(value: Intensity, what = 'intensity'): number {
  if (typeof value === 'string' && value in INTENSITY_LEVELS) return INTENSITY_LEVELS[value as keyof typeof INTENSITY_LEVELS];
  if (typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_INTENSITY) return value;
  throw new RangeError(`${what} must be low, medium, high or a number above 0 and at most ${MAX_INTENSITY}, got ${JSON.stringify(value)}`);
}

function integer(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`option '${name}' must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function resolveSimulationOptions(options: SimulationOptions = {}): ResolvedSimulationOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw new TypeError(`unknown option '${key}' (known: ${[...KNOWN].join(', ')})`);
  const seed = integer(options.seed ?? 1, 'seed', 0, 0xffffffff);
  const durationSeconds = options.durationSeconds ?? 300;
  if (typeof durationSeconds !== 'number' || !Number.isFinite(durationSeconds) || durationSeconds < 30 || durationSeconds > 3600) {
    throw new RangeError(`option 'durationSeconds' must be a number from 30 to 3600, got ${JSON.stringify(durationSeconds)}`);
  }
  const start = options.start ?? DEFAULT_START;
  const startMs = typeof start === 'string' && /^\d{4}-\d\d-\d\dT/.test(start) ? Date.parse(start) : NaN;
  if (Number.isNaN(startMs) || startMs < 0) throw new RangeError(`option 'start' must be an ISO 8601 time after 1970 such as ${DEFAULT_START}, got ${JSON.stringify(start)}`);
  const attacks = [...(options.attacks ?? ATTACK_KINDS)];
  for (const a of attacks) if (!ATTACK_KINDS.includes(a)) throw new RangeError(`option 'attacks': unknown attack ${JSON.stringify(a)} (known: ${ATTACK_KINDS.join(', ')})`);
  const scale = {} as Record<AttackKind, number>;
  const intensity = options.intensity ?? 'medium';
  const perAttack = typeof intensity === 'object' && intensity !== null;
  if (perAttack) {
    for (const key of Object.keys(intensity)) if (!ATTACK_KINDS.includes(key as AttackKind)) throw new RangeError(`option 'intensity': unknown attack '${key}'`);
  }
  for (const kind of ATTACK_KINDS) {
    const own = perAttack ? (intensity[kind] ?? 'medium') : intensity;
    scale[kind] = intensityScale(own, perAttack ? `option 'intensity.${kind}'` : `option 'intensity'`);
  }
  const captureName = options.captureName ?? 'simulated.pcap';
  if (typeof captureName !== 'string' || captureName === '' || /[/\\]/.test(captureName)) {
    throw new TypeError(`option 'captureName' must be a file name without a directory, got ${JSON.stringify(captureName)}`);
  }
  const snaplen = integer(options.snaplen ?? 256, 'snaplen', 128, 262144);
  return { seed, durationSeconds, startUs: startMs * 1000, attacks: [...new Set(attacks)], scale, captureName, snaplen };
}
