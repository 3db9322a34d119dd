/**
 * `ip_sweep`: a compromised workstation looks for more machines to infect,
 * as a worm does: first SMB (TCP 445) on consecutive addresses from
 * 10.1.10.1 up, then an ICMP echo sweep of the same addresses, then an ARP
 * sweep of them (host discovery on its own LAN, as `nmap -sn` or arp-scan
 * do). Machines that exist answer (Windows: SMB open, which the sweeper
 * resets; Linux: RST; echo and ARP replies from all); the rest stay silent
 * and the SYN is sent once more after a second. Medium: 200 addresses each
 * way (low 40, high 1000).
 * @module
 */
import { arpExchange, icmpEcho } from '../datagrams.js';
import { WORKSTATIONS } from '../network.js';
import { tcp } from '../scene.js';
import { type AttackContext, type AttackOutput, scaled } from './attack.js';

const SMB = 445;

/** `count` consecutive addresses from 10.1.10.1, leaving out `self`. */
function targets(count: number, self: string): string[] {
  const out: string[] = [];
  for (let n = 10 * 256 + 1; out.length < count; n++) {
    if ((n & 0xff) === 0 || (n & 0xff) === 255) continue;
    const ip = `10.1.${n >> 8}.${n & 0xff}`;
    if (ip !== self) out.push(ip);
  }
  return out;
}

/** The /24 prefixes the addresses fall in. */
const prefixes = (ips: string[]) => [...new Set(ips.map((ip) => ip.replace(/\.\d+$/, '.0/24')))];

export function ipSweep(ctx: AttackContext): AttackOutput {
  const { rng, net } = ctx;
  const sweeper = rng.pick(WORKSTATIONS);
  const hosts = targets(scaled(ctx, 200), sweeper);
  const alive = new Set(WORKSTATIONS);
  const third = (ctx.slot.end - ctx.slot.start) / 3;
  const gap = Math.min(80_000, third / hosts.length);

  const smb = ctx.episode();
  let t = ctx.slot.start;
  for (const host of hosts) {
    const c = tcp(smb, sweeper, host, SMB, t);
    if (!alive.has(host)) c.unanswered(1);
    else if (net.host(host).ttl >= 100) c.halfOpen();
    else c.refuse();
    t += rng.exp(gap);
  }

  const echo = ctx.episode();
  const from = net.host(sweeper);
  const identifier = rng.int(1, 0xffff);
  t = ctx.slot.start + third;
  hosts.forEach((host, i) => {
    const to = net.host(host);
    echo.trace.newFlow();
    icmpEcho(echo.trace, t, from, to, { identifier, sequence: i + 1, payload: new Uint8Array(0) });
    if (alive.has(host)) icmpEcho(echo.trace, t + to.rtt, to, from, { reply: true, identifier, sequence: i + 1, payload: new Uint8Array(0) });
    t += rng.exp(gap);
  });

  const arp = ctx.episode();
  t = ctx.slot.start + 2 * third;
  for (const host of hosts) {
    arp.trace.newFlow();
    arpExchange(arp.trace, t, from, host, alive.has(host) ? net.host(host) : undefined);
    t += rng.exp(gap);
  }
  const victim = prefixes(hosts);
  return {
    episodes: [
      { trace: smb.trace, attacker: sweeper, victim, proto: 'tcp', dst_port: SMB, note: `SMB sweep of ${hosts.length} addresses` },
      { trace: echo.trace, attacker: sweeper, victim, proto: 'icmp', note: `ICMP echo sweep of ${hosts.length} addresses` },
      { trace: arp.trace, attacker: sweeper, victim, proto: 'arp', note: `ARP sweep of ${hosts.length} addresses` },
    ],
  };
}
