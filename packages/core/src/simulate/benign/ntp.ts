/**
 * Time keeping: every workstation polls the gateway's NTP server every 64 s
 * (the shortest poll interval of RFC 5905) from a new port each time, and
 * the gateway polls two public servers on the same schedule.
 * @module
 */
import { udp } from '../datagrams.js';
import { NTP_UPSTREAM, SERVERS, WORKSTATIONS } from '../network.js';
import { ntpReply, ntpRequest } from '../protocols/ntp.js';
import type { Scene } from '../scene.js';

const POLL = 64e6;
const enc = new TextEncoder();

function poll(scene: Scene, client: string, server: string, at: number, stratum: number, refId: Uint8Array): void {
  const { net, rng, trace } = scene;
  const c = net.host(client);
  const s = net.host(server);
  const port = client === SERVERS.gateway ? 123 : rng.port();
  trace.newFlow();
  udp(trace, at, c, s, port, 123, ntpRequest(at));
  const back = at + s.rtt + rng.int(20, 200);
  udp(trace, back, s, c, 123, port, ntpReply(rng, at, back - s.rtt / 2, stratum, refId));
}

export function ntpTraffic(scene: Scene): void {
  const { rng } = scene;
  const gatewayRef = Uint8Array.from([192, 0, 2, 123]);
  for (const ws of WORKSTATIONS) {
    for (let t = scene.start + rng.float(0, POLL); t < scene.end; t += POLL + rng.int(-50_000, 50_000)) poll(scene, ws, SERVERS.gateway, t, 3, gatewayRef);
  }
  for (const upstream of NTP_UPSTREAM) {
    for (let t = scene.start + rng.float(0, POLL); t < scene.end; t += POLL) poll(scene, SERVERS.gateway, upstream, t, 1, enc.encode('GPS\0'));
  }
}
