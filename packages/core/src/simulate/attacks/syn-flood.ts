/**
 * `syn_flood`: SYNs to the web server's HTTPS port from spoofed sources
 * (random addresses and ports in 198.19.0.0/17), none completing. The
 * server answers the first 128 with SYN-ACKs, retransmitted after 1 s,
 * until its SYN backlog is full; the SYNs after that go unanswered.
 * Medium: 480 SYNs in 8 s (low 96, high 2400).
 * @module
 */
import { SERVERS, SPOOFED_PREFIX, addressIn } from '../network.js';
import { tcp } from '../scene.js';
import { type AttackContext, type AttackOutput, scaled } from './attack.js';

const PORT = 443;
const BACKLOG = 128;

export function synFlood(ctx: AttackContext): AttackOutput {
  const { rng } = ctx;
  const scene = ctx.episode();
  const count = scaled(ctx, 480);
  const length = Math.min(8e6, ctx.slot.end - ctx.slot.start);
  const times = Array.from({ length: count }, () => ctx.slot.start + rng.float(0, length)).sort((a, b) => a - b);
  times.forEach((t, i) => {
    const c = tcp(scene, addressIn(rng, SPOOFED_PREFIX), SERVERS.web, PORT, t);
    if (i < BACKLOG) c.neverCompleted(1);
    else c.unanswered();
  });
  return { episodes: [{ trace: scene.trace, attacker: SPOOFED_PREFIX, victim: SERVERS.web, proto: 'tcp', dst_port: PORT, note: `${count} spoofed SYNs in ${length / 1e6} s` }] };
}
