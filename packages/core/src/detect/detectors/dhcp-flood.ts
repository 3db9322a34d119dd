/**
 * `ddos` against a network's DHCP service: a flood of DHCP client messages
 * (DISCOVER, REQUEST, INFORM: UDP to port 67) within a short window, the
 * shape of starvation attacks (a new client hardware address each time) and
 * of message floods from spoofed IP addresses. Counted for the whole
 * network, not per address, because the flood's sources and even its
 * servers vary; the client hardware addresses (chaddr, from the payload)
 * say whether one machine is behind it. Severity 2; 1 from
 * `criticalMessages` in the window.
 * @module
 */
import type { Alert } from '../alert.js';
import type { Detector } from '../detector.js';
import { DistinctWindow, MAX_COUNTED } from '../distinct-window.js';
import { addFlowSample, EpisodeBook } from '../episodes.js';
import type { FlowView } from '../flow-view.js';

export interface DhcpFloodConfig {
  windowSeconds: number;
  /** DHCP client messages within the window that make a flood. */
  minMessages: number;
  criticalMessages: number;
}

/** A busy office renews a few leases a minute; 100 in 10 s is a flood (Zeek's dhcp_flood trace: 250 in 5 s). */
export const DEFAULT_DHCP_FLOOD: DhcpFloodConfig = { windowSeconds: 10, minMessages: 100, criticalMessages: 10_000 };

const BOOTP_SERVER_PORT = 67;
const BOOTREQUEST = 1;
/** RFC 2131 section 2: op, htype, hlen, hops, xid(4), secs(2), flags(2), 4 addresses: chaddr at 28. */
const CHADDR_OFFSET = 28;

/** The client hardware address of a BOOTREQUEST payload, as hex; undefined when not one or cut short. */
export function dhcpClientAddress(payload: Uint8Array): string | undefined {
  if (payload.length < 1 || payload[0] !== BOOTREQUEST) return undefined;
  const hlen = payload[2] ?? 0;
  if (hlen === 0 || hlen > 16 || payload.length < CHADDR_OFFSET + hlen) return undefined;
  let hex = '';
  for (let i = 0; i < hlen; i++) hex += (i ? ':' : '') + payload[CHADDR_OFFSET + i]!.toString(16).padStart(2, '0');
  return hex;
}

const EPISODE_KEY = 'dhcp';

export class DhcpFloodDetector implements Detector {
  readonly name = 'dhcp_flood';
  /** Messages by client hardware address; sources and servers by flow, over the same window. */
  #messages: DistinctWindow<string>;
  #sources: DistinctWindow<string>;
  #servers: DistinctWindow<string>;
  #episodes: EpisodeBook;
  #seen = { clients: new Set<string>(), sources: new Set<string>(), servers: new Set<string>() };

  constructor(
    private readonly config: DhcpFloodConfig,
    episodeGapSeconds: number,
  ) {
    this.#messages = new DistinctWindow(config.windowSeconds * 1e6);
    this.#sources = new DistinctWindow(config.windowSeconds * 1e6);
    this.#servers = new DistinctWindow(config.windowSeconds * 1e6);
    this.#episodes = new EpisodeBook(
      episodeGapSeconds * 1e6,
      ({ details: d }) =>
        `DHCP flood: ${d.messages} client messages (${d.max_messages_in_window} within ${d.window_seconds} s) ` +
        `from ${d.client_hardware_addresses} hardware addresses and ${d.source_addresses} IP addresses`,
    );
  }

  observe(v: FlowView, row: number): void {
    if (v.proto[row] !== 17 || v.dstPort[row] !== BOOTP_SERVER_PORT) return;
    const payload = v.firstPayloadFwd(row);
    // Without a payload prefix (payload capture off) every message counts, by source address.
    const client = payload.length > 0 ? dhcpClientAddress(payload) : `ip:${v.srcIp(row)}`;
    if (client === undefined) return;
    const t = v.start(row);
    const { minMessages, criticalMessages } = this.config;
    // Each packet is a message; capped so one huge flow cannot grow the window without bound.
    const messages = Math.min(v.pktsFwd[row]!, criticalMessages);
    for (let i = 0; i < messages; i++) this.#messages.add(t, client);
    this.#sources.add(t, v.srcIp(row));
    this.#servers.add(t, v.dstIp(row));
    for (const w of [this.#messages, this.#sources, this.#servers]) w.expire(t);
    if (this.#messages.entries >= minMessages || this.#episodes.isOpen(EPISODE_KEY)) this.#report(v, row, client, messages);
  }

  /** Opens or extends the flood's episode (apart from observe: see Detector.observe). */
  #report(v: FlowView, row: number, client: string, messages: number): void {
    const { minMessages, criticalMessages, windowSeconds } = this.config;
    const t = v.start(row);
    const src = v.srcIp(row);
    const dst = v.dstIp(row);
    const seen = this.#seen;
    this.#episodes.note(
      EPISODE_KEY,
      t,
      (): Alert => {
        // The episode starts with everything already in the window.
        seen.clients = new Set(this.#messages.values());
        seen.sources = new Set(this.#sources.values());
        seen.servers = new Set(this.#servers.values());
        return {
          category: 'ddos', severity: 2, detector: this.name, start: this.#messages.firstTime, end: t,
          dst_port: BOOTP_SERVER_PORT, proto: 17, message: '',
          details: { kind: 'dhcp_flood', messages: this.#messages.entries - messages, window_seconds: windowSeconds, threshold_messages: minMessages },
        };
      },
      (a) => {
        for (const [set, value] of [[seen.clients, client], [seen.sources, src], [seen.servers, dst]] as const) {
          if (set.size < MAX_COUNTED) set.add(value);
        }
        const d = a.details;
        d.messages = (d.messages as number) + messages;
        d.max_messages_in_window = Math.max((d.max_messages_in_window as number) ?? 0, this.#messages.entries);
        d.client_hardware_addresses = seen.clients.size;
        d.source_addresses = seen.sources.size;
        d.server_addresses = seen.servers.size;
        if (this.#messages.entries >= criticalMessages) a.severity = 1;
        // One source or one server is worth naming; many spoofed ones are not.
        a.src_ip = seen.sources.size === 1 ? src : undefined;
        a.dst_ip = seen.servers.size === 1 ? dst : undefined;
        if (a.src_ip === undefined) delete a.src_ip;
        if (a.dst_ip === undefined) delete a.dst_ip;
        addFlowSample(a, v, row);
      },
    );
  }

  prune(clockUs: number): number {
    for (const w of [this.#messages, this.#sources, this.#servers]) w.expire(clockUs);
    this.#episodes.closeQuiet(clockUs);
    return 0;
  }

  finish(): Alert[] {
    const windowUs = this.config.windowSeconds * 1e6;
    [this.#messages, this.#sources, this.#servers] = [new DistinctWindow(windowUs), new DistinctWindow(windowUs), new DistinctWindow(windowUs)];
    return this.#episodes.drain();
  }
}
