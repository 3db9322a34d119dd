/**
 * The simulator: deterministic captures of a small organisation's normal
 * traffic with attacks mixed in, and labels saying which flows belong to
 * which attack. The same options give byte-identical files. docs/simulate.md
 * describes the traffic and each attack.
 *
 * @example
 * import { simulate, writeSimulation } from '@mommynet/core';
 * const sim = simulate({ seed: 7, durationSeconds: 300, attacks: ['port_scan', 'dns_tunnel'], captureName: 'lab.pcap' });
 * writeSimulation(sim, 'out', 'lab'); // out/lab.pcap, out/lab.labels.jsonl
 * @module
 */
export { attackTraffic, simulate, type Simulation, type TimedFrame, type Traffic } from './simulate.js';
export { type SimulationFiles, writeSimulation } from './write.js';
export {
  ATTACK_KINDS,
  type AttackKind,
  DEFAULT_START,
  type Intensity,
  INTENSITY_LEVELS,
  intensityScale,
  type ResolvedSimulationOptions,
  resolveSimulationOptions,
  type SimulationOptions,
} from './options.js';
export { ATTACK_SLOTS } from './attacks/index.js';
