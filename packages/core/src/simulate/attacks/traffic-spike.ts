/**
 * `traffic_spike`: a workstation that has been browsing as usual uploads a
 * large archive to an outside host over HTTPS in one connection, at about
 * 100 Mbit/s: data theft, far more bytes than the machine ever moves.
 * Medium: 75 MB (low 15 MB, high 375 MB). The capture stores the upload
 * as the coalesced segments a Linux host hands its capture (see tcp.ts),
 * cut to the snap length, so that it costs about 1 % of its size.
 * @module
 */
import { ATTACKERS, WORKSTATIONS } from '../network.js';
import { encrypted, recordHeader, tlsHandshake } from '../protocols/tls.js';
import { tcp } from '../scene.js';
import { type AttackContext, type AttackOutput, scaled } from './attack.js';

const PORT = 443;

export function trafficSpike(ctx: AttackContext): AttackOutput {
  const { rng } = ctx;
  const scene = ctx.episode();
  const host = rng.pick(WORKSTATIONS);
  const bytes = scaled(ctx, 75_000_000);
  const c = tcp(scene, host, ATTACKERS.exfil, PORT, ctx.slot.start, { rate: 12.5 }).connect();
  tlsHandshake(c, rng, 'upload.filedrop.example', [2800, 4200], [1000, 5000]);
  c.send('client', encrypted(rng, rng.int(400, 700))); // PUT request headers
  c.send('client', { length: bytes, head: recordHeader(16401), block: rng.bytes(65536) });
  c.send('server', encrypted(rng, rng.int(150, 400)), { after: rng.int(20_000, 200_000) }); // 201 Created
  c.close('client', rng.int(100_000, 2e6));
  return {
    episodes: [{ trace: scene.trace, attacker: ATTACKERS.exfil, victim: host, proto: 'tcp', dst_port: PORT, note: `${host} uploads ${(bytes / 1e6).toFixed(0)} MB in one HTTPS connection` }],
  };
}
