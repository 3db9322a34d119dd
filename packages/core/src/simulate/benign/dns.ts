/**
 * Name lookups as workstations make them: the stub resolver asks the site's
 * resolver for A and AAAA at once, from a new random port each time, and
 * remembers the answer for its TTL. The resolver answers at once from its
 * cache, or after asking upstream (not in the capture) the first time.
 * @module
 */
import { ipv6Bytes } from '../../synth/pcap-writer.js';
import { udp } from '../datagrams.js';
import { INTERNAL_NAMES, SERVERS, SITES } from '../network.js';
import { dnsMessage, type DnsRecord, QTYPE } from '../protocols/dns.js';
import type { Scene } from '../scene.js';

const ADDRESSES = new Map<string, string>([...INTERNAL_NAMES, ...SITES.map((s) => [s.name, s.ip] as const)]);
const INTERNAL_TTL = 3600;
const OUTSIDE_TTL = 300;

/** The AAAA answer of a name: the documentation prefix 2001:db8::/32 with the IPv4 address in its last 32 bits. */
function ipv6For(ipv4: string): Uint8Array {
  const o = ipv4.split('.').map(Number);
  return ipv6Bytes(`2001:db8:${o[0]!.toString(16)}:${o[1]!.toString(16)}::${((o[2]! << 8) | o[3]!).toString(16)}`);
}

export class StubResolvers {
  /** Per client: name to the time its answer expires. */
  #cache = new Map<string, Map<string, number>>();
  /** Names the resolver has answered before (no upstream wait). */
  #resolverCache = new Set<string>();

  constructor(private readonly scene: Scene) {}

  /** Resolves `name` for `client` at `at`; the time the answer is in (`at` when cached). */
  resolve(client: string, name: string, at: number): number {
    let cache = this.#cache.get(client);
    if (!cache) this.#cache.set(client, (cache = new Map()));
    if ((cache.get(name) ?? -Infinity) > at) return at;
    const { rng } = this.scene;
    const address = ADDRESSES.get(name);
    const ttl = name.endsWith('.corp.example') ? INTERNAL_TTL : OUTSIDE_TTL;
    const wait = this.#resolverCache.has(name) ? rng.int(150, 900) : Math.round(rng.lognormal(18_000, 0.5));
    this.#resolverCache.add(name);
    let answered = at;
    for (const [qtype, delay] of [[QTYPE.A, 0], [QTYPE.AAAA, rng.int(20, 200)]] as const) {
      const sent = at + delay;
      answered = Math.max(answered, this.exchange(client, name, qtype, sent, wait, address === undefined ? [] : [{ type: qtype, ttl, data: qtype === QTYPE.A ? address : ipv6For(address) }]));
    }
    cache.set(name, at + ttl * 1e6);
    return answered;
  }

  /** One query and its answer (NXDOMAIN for a name the resolver does not know); the time of the answer. */
  exchange(client: string, name: string, qtype: number, at: number, wait: number, answers: DnsRecord[]): number {
    const { net, rng, trace } = this.scene;
    const c = net.host(client);
    const r = net.host(SERVERS.resolver);
    const port = rng.port();
    const id = rng.int(0, 0xffff);
    const edns = c.ttl === 64 ? 1232 : undefined; // systemd-resolved adds EDNS(0); Windows' stub does not
    const known = ADDRESSES.has(name);
    trace.newFlow();
    udp(trace, at, c, r, port, 53, dnsMessage(name, qtype, { id, edns }));
    const answeredAt = at + c.rtt + wait;
    udp(trace, answeredAt, r, c, 53, port, dnsMessage(name, qtype, { id, edns, response: true, rcode: known ? 0 : 3 }, answers));
    return answeredAt;
  }
}
