/**
 * What every traffic generator works in: the network, its own random
 * stream, the trace its frames go to, and the span of the capture.
 * @module
 */
import type { Network } from './network.js';
import type { Rng } from './random.js';
import { TcpConnection } from './tcp.js';
import type { Trace } from './trace.js';

export interface Scene {
  net: Network;
  rng: Rng;
  trace: Trace;
  /** Capture start and end, microseconds since the epoch. */
  start: number;
  end: number;
}

/**
 * A new TCP connection from `client` (an address) to `server` at `at`,
 * from a random ephemeral port unless one is given, with the round trips
 * of both hosts. Not yet connected: call `connect()` or another opening.
 */
export function tcp(scene: Scene, client: string, server: string, serverPort: number, at: number, options: { clientPort?: number; rate?: number } = {}): TcpConnection {
  const c = scene.net.host(client);
  const s = scene.net.host(server);
  // A transfer between two inside hosts runs at LAN speed; one with the outside at what the path allows.
  const rate = options.rate ?? (c.internal && s.internal ? scene.rng.float(40, 110) : scene.rng.float(1.5, 8));
  return new TcpConnection(
    scene.trace,
    scene.rng,
    { client: c, server: s, clientPort: options.clientPort ?? scene.rng.port(), serverPort, clientRtt: c.rtt, serverRtt: s.rtt, rate },
    at,
  );
}
