/**
 * Monitoring: the monitoring server pings each server once every 30 s with
 * the payload Linux ping sends (a timestamp and the bytes 0x10 to 0x37).
 * @module
 */
import { icmpEcho } from '../datagrams.js';
import { SERVERS } from '../network.js';
import type { Scene } from '../scene.js';

const INTERVAL = 30e6;
const WATCHED = [SERVERS.gateway, SERVERS.files, SERVERS.bastion, SERVERS.git, SERVERS.resolver, SERVERS.web];

function pingPayload(micros: number): Uint8Array {
  const b = new Uint8Array(56);
  const v = new DataView(b.buffer);
  v.setUint32(0, Math.floor(micros / 1e6), true); // struct timeval, little-endian as x86 sends it
  v.setUint32(4, 0, true);
  v.setUint32(8, micros % 1e6, true);
  for (let i = 16; i < 56; i++) b[i] = i;
  return b;
}

export function pingTraffic(scene: Scene): void {
  const { net, rng, trace } = scene;
  const monitor = net.host(SERVERS.monitor);
  for (const server of WATCHED) {
    const s = net.host(server);
    const identifier = rng.int(1, 0xffff);
    let sequence = 1;
    trace.newFlow();
    for (let t = scene.start + rng.float(0, INTERVAL); t < scene.end; t += INTERVAL, sequence++) {
      const payload = pingPayload(Math.round(t));
      icmpEcho(trace, t, monitor, s, { identifier, sequence, payload });
      icmpEcho(trace, t + s.rtt + rng.int(10, 60), s, monitor, { reply: true, identifier, sequence, payload });
    }
  }
}
