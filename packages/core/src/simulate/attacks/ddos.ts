/**
 * `ddos`, two episodes. First an HTTP flood: a botnet (100 members in
 * 198.18.0.0/16 at medium) opens connections to the web server and asks
 * for its home page with a cache-busting query, and the overloaded server
 * answers 503. Then UDP reflection onto the bastion host: open DNS
 * resolvers (ANY answers of about 1.4 KB), NTP servers (monlist answers of
 * 440 bytes) and SSDP devices answer requests spoofed from the victim, from
 * 198.19.128.0/17, each repeating its one answer 20 times. Medium: 300
 * connections and 75 reflectors (1 500 answers), each within 8 s (low a
 * fifth, high five times as many).
 * @module
 */
import { udp } from '../datagrams.js';
import { BOTNET_PREFIX, REFLECTOR_PREFIXES, SERVERS, addressIn } from '../network.js';
import { dnsMessage, type DnsRecord, QTYPE } from '../protocols/dns.js';
import { httpRequest, httpResponse, USER_AGENTS } from '../protocols/http.js';
import type { Rng } from '../random.js';
import type { Scene } from '../scene.js';
import { tcp } from '../scene.js';
import { type AttackContext, type AttackEpisode, type AttackOutput, scaled } from './attack.js';

const LENGTH = 8e6;
/** Answers each reflector sends. */
const ANSWERS = 20;
const enc = new TextEncoder();

/** `n` distinct addresses of `prefix`. */
function crowd(rng: Rng, prefix: string, n: number): string[] {
  const out = new Set<string>();
  while (out.size < n) out.add(addressIn(rng, prefix));
  return [...out];
}

function httpFlood(ctx: AttackContext, start: number): AttackEpisode {
  const { rng } = ctx;
  const scene = ctx.episode();
  const bots = crowd(rng, BOTNET_PREFIX, scaled(ctx, 100, 2));
  const connections = scaled(ctx, 300);
  for (let i = 0; i < connections; i++) {
    const c = tcp(scene, rng.pick(bots), SERVERS.web, 80, start + rng.float(0, LENGTH)).connect();
    c.send('client', httpRequest({ method: 'GET', host: 'www.corp.example', path: `/?${rng.hex(8)}=${rng.int(0, 1e6)}`, headers: [['User-Agent', rng.pick(USER_AGENTS)], ['Accept', '*/*']] }));
    const date = Math.floor(c.time / 1e6);
    c.send('server', httpResponse({ status: 503, date, contentType: 'text/html', body: enc.encode('<html><body><h1>503 Service Unavailable</h1></body></html>\n') }), { after: rng.int(50_000, 900_000) });
    c.close('client');
  }
  return { trace: scene.trace, attacker: BOTNET_PREFIX, victim: SERVERS.web, proto: 'tcp', dst_port: 80, note: `HTTP flood: ${connections} connections from ${bots.length} bots` };
}

/** A DNS ANY answer of about 1.4 KB: what open resolvers send back for the amplifying name. */
function dnsAmplifier(rng: Rng): Uint8Array {
  const records: DnsRecord[] = [{ type: QTYPE.A, ttl: 3600, data: '192.0.2.1' }];
  for (let i = 0; i < 6; i++) records.push({ type: QTYPE.TXT, ttl: 3600, data: `v=spf1 include:_spf${i}.amplify.example ${rng.base32(180)}` });
  return dnsMessage('amplify.example', QTYPE.ANY, { id: rng.int(0, 0xffff), response: true, edns: 4096 }, records);
}

/** An NTP mode 7 MON_GETLIST_1 answer: six 72-byte entries of the server's recent clients. */
function ntpMonlist(rng: Rng): Uint8Array {
  const b = new Uint8Array(8 + 6 * 72);
  b.set([0xd7, 0x00, 0x03, 0x2a, 0x00, 0x06, 0x00, 0x48]); // response, more; version 2, mode 7; XNTPD; 6 items of 72 bytes
  b.set(rng.bytes(6 * 72), 8);
  return b;
}

function ssdpAnswer(rng: Rng): Uint8Array {
  const uuid = `${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`;
  return enc.encode(
    'HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: http://192.168.1.1:1900/rootDesc.xml\r\n' +
      `SERVER: Linux/3.14 UPnP/1.0 miniupnpd/1.9\r\nST: upnp:rootdevice\r\nUSN: uuid:${uuid}::upnp:rootdevice\r\n\r\n`,
  );
}

const REFLECTED = [
  { service: 'dns', port: 53, share: 0.5, answer: dnsAmplifier },
  { service: 'ntp', port: 123, share: 0.33, answer: ntpMonlist },
  { service: 'ssdp', port: 1900, share: 0.17, answer: ssdpAnswer },
] as const;

function reflection(ctx: AttackContext, start: number): AttackEpisode[] {
  const { rng, net } = ctx;
  const victim = net.host(SERVERS.bastion);
  const reflectors = scaled(ctx, 75, 3);
  return REFLECTED.map(({ service, port, share, answer }): AttackEpisode => {
    const scene: Scene = ctx.episode();
    const sources = crowd(rng, REFLECTOR_PREFIXES[service], Math.max(1, Math.round(reflectors * share)));
    for (const source of sources) {
      const from = net.host(source);
      const payload = answer(rng); // a reflector repeats the same answer to the same request
      // The spoofed requests came from a few of the victim's ports: one flow per port.
      const ports = Array.from({ length: rng.int(1, 3) }, () => rng.port());
      const used = new Set<number>();
      for (let i = 0; i < ANSWERS; i++) {
        const victimPort = rng.pick(ports);
        used.add(victimPort);
        udp(scene.trace, start + rng.float(0, LENGTH), from, victim, port, victimPort, payload);
      }
      for (let i = 0; i < used.size; i++) scene.trace.newFlow();
    }
    return { trace: scene.trace, attacker: REFLECTOR_PREFIXES[service], victim: SERVERS.bastion, proto: 'udp', note: `UDP reflection: ${sources.length} ${service} reflectors (port ${port}), ${ANSWERS} answers each` };
  });
}

export function ddos(ctx: AttackContext): AttackOutput {
  const second = Math.min(ctx.slot.start + LENGTH + 10e6, ctx.slot.end - LENGTH);
  return { episodes: [httpFlood(ctx, ctx.slot.start), ...reflection(ctx, second)] };
}
