/**
 * The simulated organisation: its address plan, its servers, the outside
 * services its people use, and the link-layer and IP traits of each host
 * as the capture sees them.
 *
 * The capture is taken on the inside of the site's gateway: internal hosts
 * appear with their own MAC addresses, every outside host behind the
 * gateway's. Outside addresses come from the ranges set aside for
 * documentation (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, RFC 5737)
 * and for benchmarking (198.18.0.0/15, RFC 2544), so that no simulated
 * packet names a real host. Names under `corp.example` are the
 * organisation's own.
 * @module
 */
import { Rng } from './random.js';

export interface Host {
  ip: string;
  /** The MAC the capture sees for this host: its own, or the gateway's for an outside host. */
  mac: string;
  /** IP TTL of its packets as they reach the capture point. */
  ttl: number;
  /** TCP receive window it advertises. */
  window: number;
  /** Microseconds from the capture point to this host and back. */
  rtt: number;
  internal: boolean;
}

/** A web site or service on the outside, by name. */
export interface Site {
  name: string;
  ip: string;
  /** Relative popularity among the people of the organisation. */
  weight: number;
  /** Plain HTTP (port 80) instead of HTTPS. */
  http?: boolean;
}

const GATEWAY_MAC = '00:1b:21:3a:9c:01';

/** The organisation's servers. */
export const SERVERS = {
  gateway: '10.1.0.1',
  monitor: '10.1.0.5',
  files: '10.1.0.20',
  ftp: '10.1.0.21',
  bastion: '10.1.0.22',
  git: '10.1.0.30',
  build: '10.1.0.45',
  resolver: '10.1.0.53',
  web: '10.1.0.80',
} as const;

/** Names the resolver answers for the organisation's own servers. */
export const INTERNAL_NAMES: readonly (readonly [string, string])[] = [
  ['intranet.corp.example', SERVERS.web],
  ['www.corp.example', SERVERS.web],
  ['files.corp.example', SERVERS.files],
  ['git.corp.example', SERVERS.git],
  ['bastion.corp.example', SERVERS.bastion],
];

/** Workstations: 10.1.10.10 to 10.1.10.33. */
export const WORKSTATIONS: readonly string[] = Array.from({ length: 24 }, (_, i) => `10.1.10.${10 + i}`);

/** Upstream time servers the gateway polls (workstations poll the gateway). */
export const NTP_UPSTREAM: readonly string[] = ['192.0.2.123', '198.51.100.123'];

/**
 * Outside services: names people's machines resolve and connect to, with a
 * popularity that makes a few of them most of the traffic.
 */
export const SITES: readonly Site[] = [
  { name: 'www.google.com', ip: '192.0.2.14', weight: 30 },
  { name: 'fonts.gstatic.com', ip: '192.0.2.15', weight: 12 },
  { name: 'outlook.office365.com', ip: '192.0.2.20', weight: 25 },
  { name: 'login.microsoftonline.com', ip: '192.0.2.21', weight: 10 },
  { name: 'teams.microsoft.com', ip: '192.0.2.22', weight: 14 },
  { name: 'github.com', ip: '192.0.2.30', weight: 10 },
  { name: 'api.github.com', ip: '192.0.2.31', weight: 6 },
  { name: 'en.wikipedia.org', ip: '192.0.2.40', weight: 8 },
  { name: 'upload.wikimedia.org', ip: '192.0.2.41', weight: 5 },
  { name: 'app.slack.com', ip: '192.0.2.50', weight: 12 },
  { name: 'stackoverflow.com', ip: '192.0.2.60', weight: 8 },
  { name: 'www.bbc.co.uk', ip: '198.51.100.10', weight: 6 },
  { name: 'www.linkedin.com', ip: '198.51.100.20', weight: 5 },
  { name: 'docs.python.org', ip: '198.51.100.30', weight: 4 },
  { name: 'cdn.jsdelivr.net', ip: '198.51.100.31', weight: 6 },
  { name: 'www.dropbox.com', ip: '198.51.100.40', weight: 4 },
  { name: 'zoom.us', ip: '198.51.100.50', weight: 4 },
  { name: 'news.ycombinator.com', ip: '198.51.100.60', weight: 3 },
  { name: 'deb.debian.org', ip: '198.51.100.70', weight: 2, http: true },
  { name: 'ctldl.windowsupdate.com', ip: '198.51.100.71', weight: 4, http: true },
  { name: 'connectivitycheck.gstatic.com', ip: '192.0.2.16', weight: 3, http: true },
];

/**
 * Outside hosts the attacks use, all in 203.0.113.0/24, apart from the
 * crowds: botnet members in 198.18.0.0/16, spoofed SYN sources in
 * 198.19.0.0/17, amplifying reflectors in 198.19.128.0/17.
 */
export const ATTACKERS = {
  scanner: '203.0.113.66',
  sshGuesser: '203.0.113.77',
  ftpGuesser: '203.0.113.78',
  webGuesser: '203.0.113.79',
  webAttacker: '203.0.113.99',
  listed: '203.0.113.13',
  c2: '203.0.113.150',
  exfil: '203.0.113.200',
  icmpTunnel: '203.0.113.201',
} as const;
export const BOTNET_PREFIX = '198.18.0.0/16';
export const SPOOFED_PREFIX = '198.19.0.0/17';
export const REFLECTOR_PREFIXES = { dns: '198.19.128.0/19', ntp: '198.19.160.0/19', ssdp: '198.19.192.0/19' } as const;

/** Parent domain of the simulated DNS tunnel, in the `.example` TLD kept for documentation (RFC 2606). */
export const TUNNEL_DOMAIN = 'telemetry-cdn.example';

const isInternal = (ip: string) => ip.startsWith('10.');

/** A random address in an IPv4 prefix of length 8, 16, 17 or 19, avoiding .0 and .255 in the last octet. */
export function addressIn(rng: Rng, prefix: string): string {
  const [base, bits] = prefix.split('/') as [string, string];
  const o = base.split('.').map(Number);
  const hostBits = 32 - Number(bits);
  const n = (((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0) + rng.int(0, 2 ** hostBits - 1);
  const last = (n & 0xff) === 0 || (n & 0xff) === 255 ? (n & ~0xff) | 1 : n;
  return [last >>> 24, (last >>> 16) & 0xff, (last >>> 8) & 0xff, last & 0xff].join('.');
}

/**
 * Per-host traits, drawn once per address from a stream of the seed so a
 * host looks the same in every part of a simulation: Windows (TTL 128,
 * window 64240) or Linux (TTL 64, window 64240, 29200 or 65160), the
 * round trip to it, and for outside hosts the hops lost on the way.
 */
export class Network {
  #hosts = new Map<string, Host>();

  constructor(readonly seed: number) {}

  host(ip: string): Host {
    let h = this.#hosts.get(ip);
    if (h) return h;
    const rng = Rng.stream(this.seed, `host:${ip}`);
    const windows = rng.chance(0.4);
    const internal = isInternal(ip);
    const hops = internal ? 0 : rng.int(6, 18);
    const o = ip.split('.').map(Number);
    h = {
      ip,
      internal,
      // Locally administered, derived from the address: stable and unique inside 10/8.
      mac:
        internal && ip !== SERVERS.gateway ? ['02', '00', ...o.map((b) => b.toString(16).padStart(2, '0'))].join(':') : GATEWAY_MAC,
      ttl: (windows ? 128 : 64) - hops,
      window: windows ? 64240 : rng.pick([64240, 29200, 65160]),
      // One switch away inside; a few milliseconds to a continent away outside.
      rtt: internal ? rng.int(120, 600) : Math.round(rng.lognormal(25_000, 0.6)),
    };
    this.#hosts.set(ip, h);
    return h;
  }
}
