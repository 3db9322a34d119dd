/**
 * `icmp_tunnel`: a workstation reaches an outside host through ICMP echo,
 * as ptunnel and icmpsh do: echo requests and replies whose payloads are
 * the tunnelled data (random bytes, sizes from 64 to about 1 200 bytes),
 * in bursts of interactive use. Medium: 80 request/reply pairs in about 50
 * s (low 16, high 400).
 * @module
 */
import { icmpEcho } from '../datagrams.js';
import { ATTACKERS, WORKSTATIONS } from '../network.js';
import { type AttackContext, type AttackOutput, scaled } from './attack.js';

export function icmpTunnel(ctx: AttackContext): AttackOutput {
  const { rng, net } = ctx;
  const scene = ctx.episode();
  const inside = rng.pick(WORKSTATIONS);
  const client = net.host(inside);
  const server = net.host(ATTACKERS.icmpTunnel);
  const count = scaled(ctx, 80);
  const gap = Math.min(50e6, ctx.slot.end - ctx.slot.start) / count;
  const identifier = rng.int(1, 0xffff);
  scene.trace.newFlow();
  let t = ctx.slot.start;
  for (let sequence = 1; sequence <= count; sequence++) {
    icmpEcho(scene.trace, t, client, server, { identifier, sequence, payload: rng.bytes(rng.int(64, 1200)) });
    icmpEcho(scene.trace, t + server.rtt + rng.int(100, 3000), server, client, { reply: true, identifier, sequence, payload: rng.bytes(rng.int(64, 1200)) });
    // Typing and reading: mostly quick exchanges, now and then a pause.
    t += rng.chance(0.85) ? rng.exp(gap / 3) : rng.exp(gap * 4);
  }
  return {
    episodes: [{ trace: scene.trace, attacker: ATTACKERS.icmpTunnel, victim: inside, proto: 'icmp', note: `${count} echo requests and replies with random payloads of 64 to 1200 bytes` }],
  };
}
