/**
 * `beaconing`: malware on a workstation checks in with its command server
 * over HTTPS, sleeping between check-ins for its set time less a random
 * part of up to 20 % (jitter as Cobalt Strike applies it), a new
 * connection each time:
 * handshake, a short request, a short "nothing to do" answer, close. The
 * check-ins run through most of the capture. Medium: 24 check-ins (low
 * 5, high 120), the period set by how many fit.
 * @module
 */
import { ATTACKERS, WORKSTATIONS } from '../network.js';
import { encrypted, tlsHandshake } from '../protocols/tls.js';
import { tcp } from '../scene.js';
import { type AttackContext, type AttackOutput, scaled } from './attack.js';

const PORT = 443;
const JITTER = 0.2;

export function beaconing(ctx: AttackContext): AttackOutput {
  const { rng } = ctx;
  const scene = ctx.episode();
  const host = rng.pick(WORKSTATIONS);
  const count = scaled(ctx, 24);
  const sleep = (ctx.slot.end - ctx.slot.start) / count;
  for (let i = 0, t = ctx.slot.start; i < count; i++, t += sleep * (1 - rng.float(0, JITTER))) {
    const c = tcp(scene, host, ATTACKERS.c2, PORT, t).connect();
    tlsHandshake(c, rng, 'cdn.statuscheck.example', [2900, 3000], [500, 2000]);
    c.send('client', encrypted(rng, rng.int(190, 230)));
    c.send('server', encrypted(rng, rng.int(90, 140)), { after: rng.int(5000, 30_000) });
    c.close('client', rng.int(1000, 20_000));
  }
  return {
    episodes: [{ trace: scene.trace, attacker: ATTACKERS.c2, victim: host, proto: 'tcp', dst_port: PORT, note: `${count} check-ins, sleep ${(sleep / 1e6).toFixed(1)} s, jitter ${JITTER * 100} %` }],
  };
}
