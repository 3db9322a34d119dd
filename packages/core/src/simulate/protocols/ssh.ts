/**
 * SSH-2 on the wire (RFC 4253): identification strings, the binary packets
 * of the key exchange in clear (KEXINIT, curve25519 ECDH, NEWKEYS), and
 * after it encrypted packets sized as chacha20-poly1305 sizes them: a
 * 4-byte length, the padded packet, a 16-byte tag. A keystroke is then a
 * 36-byte payload, the size that gives interactive sessions away.
 * @module
 */
import { concatBytes } from '../../bytes.js';
import type { Rng } from '../random.js';
import type { TcpConnection } from '../tcp.js';

const enc = new TextEncoder();
const u32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const str = (b: number[] | Uint8Array) => [...u32(b.length), ...b];
const text = (s: string) => str([...enc.encode(s)]);

const SSH_MSG = { KEXINIT: 20, NEWKEYS: 21, KEX_ECDH_INIT: 30, KEX_ECDH_REPLY: 31 } as const;

const OPENSSH_SERVER = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3';
export const OPENSSH_CLIENTS: readonly string[] = ['SSH-2.0-OpenSSH_9.6', 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3', 'SSH-2.0-PuTTY_Release_0.81'];

function identification(software: string): Uint8Array {
  return enc.encode(`${software}\r\n`);
}

/** A binary packet in clear: length, padding length, payload, random padding (to a multiple of 8, at least 4). */
function packet(rng: Rng, payload: number[]): Uint8Array {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  return Uint8Array.from([...u32(1 + payload.length + pad), pad, ...payload, ...rng.bytes(pad)]);
}

const KEX = 'curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,kex-strict-s-v00@openssh.com';
const HOST_KEYS = 'rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519';
const CIPHERS = 'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com';
const MACS = 'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com';
const COMPRESSION = 'none,zlib@openssh.com';

function kexInit(rng: Rng): Uint8Array {
  const lists = [KEX, HOST_KEYS, CIPHERS, CIPHERS, MACS, MACS, COMPRESSION, COMPRESSION, '', ''];
  return packet(rng, [SSH_MSG.KEXINIT, ...rng.bytes(16), ...lists.flatMap(text), 0, 0, 0, 0, 0]);
}

function ecdhInit(rng: Rng): Uint8Array {
  return packet(rng, [SSH_MSG.KEX_ECDH_INIT, ...str(rng.bytes(32))]);
}

/** The server's ECDH reply (ed25519 host key, its key share, its signature) and NEWKEYS, sent together. */
function ecdhReplyAndNewKeys(rng: Rng): Uint8Array {
  const hostKey = str([...text('ssh-ed25519'), ...str(rng.bytes(32))]);
  const signature = str([...text('ssh-ed25519'), ...str(rng.bytes(64))]);
  const reply = packet(rng, [SSH_MSG.KEX_ECDH_REPLY, ...hostKey, ...str(rng.bytes(32)), ...signature]);
  return concatBytes(reply, newKeys(rng));
}

function newKeys(rng: Rng): Uint8Array {
  return packet(rng, [SSH_MSG.NEWKEYS]);
}

/** One encrypted packet carrying `payload` bytes of plaintext message. */
export function encryptedPacket(rng: Rng, payload: number): Uint8Array {
  let padded = 1 + payload + 4;
  padded += (8 - (padded % 8)) % 8;
  return rng.bytes(4 + padded + 16);
}

/** Encrypted packets for `bytes` of channel data (terminal output, a file), at most 32 KiB of data each. */
export function encryptedData(rng: Rng, bytes: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let left = bytes; left > 0; left -= 32768) parts.push(encryptedPacket(rng, 9 + Math.min(left, 32768)));
  return concatBytes(...parts);
}

/**
 * The exchanges that open an SSH session on a connected TCP connection:
 * identification strings, KEXINIT both ways, ECDH, NEWKEYS, then the
 * service request and its acceptance, encrypted.
 */
export function sshKeyExchange(c: TcpConnection, rng: Rng, clientSoftware: string): void {
  c.send('server', identification(OPENSSH_SERVER), { after: rng.int(1000, 6000) });
  c.send('client', identification(clientSoftware), { after: rng.int(100, 2000) });
  c.send('client', kexInit(rng), { after: rng.int(50, 500) });
  c.send('server', kexInit(rng), { after: rng.int(100, 1000) });
  c.send('client', ecdhInit(rng), { after: rng.int(200, 2000) });
  c.send('server', ecdhReplyAndNewKeys(rng), { after: rng.int(1000, 4000) });
  c.send('client', concatBytes(newKeys(rng), encryptedPacket(rng, 17)), { after: rng.int(300, 2000) });
  c.send('server', encryptedPacket(rng, 17), { after: rng.int(100, 800) });
}

