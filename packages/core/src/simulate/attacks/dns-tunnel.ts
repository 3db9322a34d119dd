/**
 * `dns_tunnel`: the build server, which has no business on the internet,
 * smuggles data out through the site's resolver, as dnscat2 and iodine do:
 * TXT queries for names under one parent domain whose labels are the data,
 * base32-encoded (a 63-character label and a shorter one), and TXT answers
 * carrying the server's data back. Each query from a new port, as the
 * system resolver library sends them; none can be cached, so every answer
 * waits for the tunnel's own name server. Medium: 75 queries in about a
 * minute (low 15, high 375).
 * @module
 */
import { udp } from '../datagrams.js';
import { SERVERS, TUNNEL_DOMAIN } from '../network.js';
import { dnsMessage, QTYPE } from '../protocols/dns.js';
import { type AttackContext, type AttackOutput, scaled } from './attack.js';

export function dnsTunnel(ctx: AttackContext): AttackOutput {
  const { rng, net } = ctx;
  const scene = ctx.episode();
  const client = net.host(SERVERS.build);
  const resolver = net.host(SERVERS.resolver);
  const count = scaled(ctx, 75);
  const gap = Math.min(60e6, ctx.slot.end - ctx.slot.start) / count;
  let t = ctx.slot.start;
  for (let seq = 0; seq < count; seq++) {
    const name = `${rng.base32(63)}.${rng.base32(rng.int(12, 50))}.${seq.toString(16).padStart(4, '0')}.${TUNNEL_DOMAIN}`;
    const id = rng.int(0, 0xffff);
    const port = rng.port();
    scene.trace.newFlow();
    udp(scene.trace, t, client, resolver, port, 53, dnsMessage(name, QTYPE.TXT, { id, edns: 1232 }));
    const answer = { type: QTYPE.TXT, ttl: 0, data: [rng.base32(rng.int(40, 220))] };
    udp(scene.trace, t + client.rtt + rng.lognormal(40_000, 0.4), resolver, client, 53, port, dnsMessage(name, QTYPE.TXT, { id, edns: 1232, response: true }, [answer]));
    t += rng.exp(gap);
  }
  return {
    episodes: [{ trace: scene.trace, attacker: SERVERS.build, victim: SERVERS.resolver, proto: 'udp', dst_port: 53, note: `${count} TXT queries with base32 labels under ${TUNNEL_DOMAIN}` }],
  };
}
