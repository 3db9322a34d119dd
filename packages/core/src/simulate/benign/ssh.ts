/**
 * SSH as people use it: administrators typing on the bastion host
 * (keystrokes of 36 bytes echoed back, commands with output, pauses to
 * read and think), developers fetching from the git server, and a file
 * copied to the file server with scp.
 * @module
 */
import { encryptedData, encryptedPacket, OPENSSH_CLIENTS, sshKeyExchange } from '../protocols/ssh.js';
import type { Scene } from '../scene.js';
import { tcp } from '../scene.js';
import type { TcpConnection } from '../tcp.js';

/** Public-key authentication and opening a channel: a few encrypted round trips. */
function authenticate(c: TcpConnection, scene: Scene): void {
  const { rng } = scene;
  for (const [request, reply] of [[rng.int(380, 620), rng.int(400, 560)], [rng.int(560, 720), 16], [100, 60], [140, 16], [24, 16]] as const) {
    c.send('client', encryptedPacket(scene.rng, request), { after: rng.int(200, 3000) });
    c.send('server', encryptedPacket(scene.rng, reply), { after: rng.int(300, 8000) });
  }
}

/** An interactive session from `client` to the bastion from `at` until about `until`. */
export function interactiveSession(scene: Scene, client: string, server: string, at: number, until: number): void {
  const { rng } = scene;
  const c = tcp(scene, client, server, 22, at).connect();
  sshKeyExchange(c, rng, rng.pick(OPENSSH_CLIENTS));
  authenticate(c, scene);
  c.send('server', encryptedData(rng, rng.int(600, 1400)), { after: rng.int(5000, 40_000) }); // banner, motd, prompt
  while (c.time < until) {
    // Read, think, then type a command a key at a time; the server echoes each key.
    const keys = rng.int(2, 28);
    for (let k = 0; k < keys; k++) {
      c.send('client', encryptedPacket(rng, 10), { after: k === 0 ? Math.round(rng.lognormal(6e6, 0.9)) : Math.round(rng.lognormal(150_000, 0.5)) });
      c.send('server', encryptedPacket(rng, 10), { after: rng.int(100, 900) });
    }
    c.send('client', encryptedPacket(rng, 10), { after: Math.round(rng.lognormal(200_000, 0.4)) }); // Enter
    c.send('server', encryptedData(rng, Math.round(rng.lognormal(700, 1.2))), { after: rng.int(2000, 60_000) });
  }
  c.send('client', encryptedPacket(rng, 10), { after: rng.int(1e6, 4e6) }); // "exit"
  c.close('server', rng.int(2000, 20_000));
}

/** `git fetch` over SSH: key exchange, authentication, a pack of `bytes`. */
export function gitFetch(scene: Scene, client: string, server: string, at: number, bytes: number): void {
  const { rng } = scene;
  const c = tcp(scene, client, server, 22, at).connect();
  sshKeyExchange(c, rng, 'SSH-2.0-OpenSSH_9.6');
  authenticate(c, scene);
  c.send('server', encryptedData(rng, rng.int(2000, 9000)), { after: rng.int(20_000, 150_000) }); // refs
  c.send('client', encryptedData(rng, rng.int(300, 1500)), { after: rng.int(1000, 20_000) }); // wants, haves
  c.send('server', encryptedData(rng, bytes), { after: rng.int(50_000, 400_000) });
  c.close('client', rng.int(1000, 30_000));
}

/** `scp` of a file of `bytes` to `server`. */
export function scpUpload(scene: Scene, client: string, server: string, at: number, bytes: number): void {
  const { rng } = scene;
  const c = tcp(scene, client, server, 22, at).connect();
  sshKeyExchange(c, rng, 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3');
  authenticate(c, scene);
  c.send('client', encryptedPacket(rng, 60), { after: rng.int(1000, 20_000) }); // "C0644 <size> <name>"
  c.send('server', encryptedPacket(rng, 10), { after: rng.int(500, 5000) });
  c.send('client', { length: bytes, head: encryptedPacket(rng, 32768 + 9), block: rng.bytes(65536) });
  c.send('server', encryptedPacket(rng, 10), { after: rng.int(1000, 30_000) });
  c.close('client', rng.int(1000, 10_000));
}
