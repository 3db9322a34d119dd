/**
 * `threat_intel`: a workstation fetches something from a host on a
 * blocklist over HTTPS (a malware download, a phishing kit), a few
 * connections. The generator also writes the list: the listed address and
 * a neighbouring block, in the plain form blocklists come in. Medium: 5
 * connections (low 1, high 25).
 * @module
 */
import { ATTACKERS, WORKSTATIONS } from '../network.js';
import { encrypted, tlsHandshake } from '../protocols/tls.js';
import { tcp } from '../scene.js';
import { type AttackContext, type AttackOutput, scaled } from './attack.js';

const PORT = 443;

export function threatIntel(ctx: AttackContext): AttackOutput {
  const { rng } = ctx;
  const scene = ctx.episode();
  const host = rng.pick(WORKSTATIONS);
  const count = scaled(ctx, 5);
  const gap = Math.min(20e6, ctx.slot.end - ctx.slot.start) / count;
  for (let i = 0, t = ctx.slot.start; i < count; i++, t += rng.exp(gap)) {
    const c = tcp(scene, host, ATTACKERS.listed, PORT, t).connect();
    tlsHandshake(c, rng, 'invoice-portal.example', [2500, 4000], [1000, 8000]);
    c.send('client', encrypted(rng, rng.int(300, 600)));
    c.send('server', encrypted(rng, Math.round(rng.lognormal(40_000, 1))), { after: rng.int(20_000, 300_000) });
    c.close('client', rng.int(50_000, 3e6));
  }
  const intel = [
    '# Threat-intel list for the simulated capture: one address or CIDR prefix a line.',
    `${ATTACKERS.listed} ; malware distribution`,
    '203.0.113.240/28 ; bulletproof hosting',
    '',
  ].join('\n');
  return {
    episodes: [{ trace: scene.trace, attacker: ATTACKERS.listed, victim: host, proto: 'tcp', dst_port: PORT, note: `${count} HTTPS connections to a listed address` }],
    intel,
  };
}
