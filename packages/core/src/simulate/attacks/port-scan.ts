/**
 * `port_scan`: an outside host runs a SYN scan (nmap -sS) of the web
 * server's ports in random order, about 20 probes a second, from one source port.
 * Closed ports answer RST-ACK; open ones SYN-ACK, which the scanner resets.
 * Medium: 80 ports (low 16, high 400).
 * @module
 */
import { ATTACKERS, SERVERS } from '../network.js';
import { tcp } from '../scene.js';
import { type AttackContext, type AttackOutput, scaled } from './attack.js';

const OPEN = new Set([22, 80, 443]);
/** Ports nmap tries first (its top ports), then the rest of the low range. */
const FIRST = [80, 23, 443, 21, 22, 25, 3389, 110, 445, 139, 143, 53, 135, 3306, 8080, 1723, 111, 995, 993, 5900, 1025, 587, 8888, 199, 1720];

export function portScan(ctx: AttackContext): AttackOutput {
  const { rng } = ctx;
  const scene = ctx.episode();
  const count = scaled(ctx, 80);
  const rest = rng.shuffle(Array.from({ length: 1024 * 8 }, (_, i) => i + 1).filter((p) => !FIRST.includes(p)));
  const ports = rng.shuffle([...FIRST, ...rest].slice(0, count));
  const srcPort = rng.port();
  let t = ctx.slot.start;
  const gap = Math.min(50_000, (ctx.slot.end - ctx.slot.start) / count);
  for (const port of ports) {
    const c = tcp(scene, ATTACKERS.scanner, SERVERS.web, port, t, { clientPort: srcPort });
    if (OPEN.has(port)) c.halfOpen();
    else c.refuse();
    t += rng.exp(gap);
  }
  return { episodes: [{ trace: scene.trace, attacker: ATTACKERS.scanner, victim: SERVERS.web, proto: 'tcp', note: `SYN scan of ${count} ports` }] };
}
