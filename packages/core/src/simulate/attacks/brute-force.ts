/**
 * `brute_force`, three episodes, one after the other: password guessing
 * against the bastion's SSH server (each connection: key exchange, three
 * passwords refused, close), against the FTP server (USER, PASS, 530,
 * QUIT) and against the web server's login form (a POST answered by the
 * same login page each time). Several guessing threads at once, as hydra
 * runs them. Medium, each within a minute: 60 SSH, 45 FTP and 150 HTTP
 * attempts (low a fifth, high five times as many).
 * @module
 */
import { ATTACKERS, SERVERS } from '../network.js';
import { htmlPage, httpRequest, httpResponse } from '../protocols/http.js';
import { encryptedPacket, sshKeyExchange } from '../protocols/ssh.js';
import type { Scene } from '../scene.js';
import { tcp } from '../scene.js';
import { type AttackContext, type AttackEpisode, type AttackOutput, scaled } from './attack.js';

const enc = new TextEncoder();
const USERS = ['root', 'admin', 'administrator', 'user', 'test', 'oracle', 'ubuntu', 'pi', 'ftp', 'guest'];
const PASSWORDS = ['123456', 'password', 'admin', '12345678', 'qwerty', 'letmein', 'welcome1', 'Passw0rd!', 'changeme', 'root', 'toor', 'dragon', 'master', 'Summer2025!'];

/** `count` attempt start times spread over `length` µs from `start`. */
function starts(ctx: AttackContext, start: number, length: number, count: number): number[] {
  return Array.from({ length: count }, () => start + ctx.rng.float(0, length)).sort((a, b) => a - b);
}

function ssh(ctx: AttackContext, scene: Scene, t: number): void {
  const { rng } = ctx;
  const c = tcp(scene, ATTACKERS.sshGuesser, SERVERS.bastion, 22, t).connect();
  sshKeyExchange(c, rng, 'SSH-2.0-libssh_0.10.6');
  for (let i = 0; i < 3; i++) {
    c.send('client', encryptedPacket(rng, 40 + rng.pick(PASSWORDS).length), { after: rng.int(1000, 20_000) });
    c.send('server', encryptedPacket(rng, 30), { after: rng.int(1_800_000, 2_400_000) }); // sshd's delay after a failure
  }
  c.close('client', rng.int(1000, 10_000));
}

function ftp(ctx: AttackContext, scene: Scene, t: number): void {
  const { rng } = ctx;
  const c = tcp(scene, ATTACKERS.ftpGuesser, SERVERS.ftp, 21, t).connect();
  c.send('server', enc.encode('220 (vsFTPd 3.0.3)\r\n'), { after: rng.int(500, 3000) });
  c.send('client', enc.encode(`USER ${rng.pick(USERS)}\r\n`), { after: rng.int(200, 2000) });
  c.send('server', enc.encode('331 Please specify the password.\r\n'), { after: rng.int(100, 800) });
  c.send('client', enc.encode(`PASS ${rng.pick(PASSWORDS)}\r\n`), { after: rng.int(200, 2000) });
  c.send('server', enc.encode('530 Login incorrect.\r\n'), { after: rng.int(900_000, 1_200_000) });
  c.send('client', enc.encode('QUIT\r\n'), { after: rng.int(200, 2000) });
  c.send('server', enc.encode('221 Goodbye.\r\n'), { after: rng.int(100, 800) });
  c.close('server');
}

function webLogin(ctx: AttackContext, scene: Scene, t: number, page: Uint8Array): void {
  const { rng } = ctx;
  const c = tcp(scene, ATTACKERS.webGuesser, SERVERS.web, 80, t).connect();
  const body = `log=${rng.pick(USERS)}&pwd=${encodeURIComponent(rng.pick(PASSWORDS))}&wp-submit=Log+In&redirect_to=%2Fwp-admin%2F&testcookie=1`;
  c.send('client', httpRequest({
    method: 'POST', host: 'www.corp.example', path: '/wp-login.php',
    headers: [['User-Agent', 'Mozilla/5.0 (Hydra)'], ['Content-Type', 'application/x-www-form-urlencoded'], ['Cookie', 'wordpress_test_cookie=WP%20Cookie%20check']],
    body,
  }));
  c.send('server', httpResponse({ status: 200, date: Math.floor(c.time / 1e6), server: 'Apache/2.4.62 (Debian)', contentType: 'text/html; charset=UTF-8', body: page }), { after: rng.int(80_000, 250_000) });
  c.close('client', rng.int(1000, 20_000));
}

export function bruteForce(ctx: AttackContext): AttackOutput {
  const part = (ctx.slot.end - ctx.slot.start) / 3;
  const length = Math.min(60e6, part * 0.9);
  const episodes: AttackEpisode[] = [];

  const sshScene = ctx.episode();
  const sshCount = scaled(ctx, 60);
  for (const t of starts(ctx, ctx.slot.start, length, sshCount)) ssh(ctx, sshScene, t);
  episodes.push({ trace: sshScene.trace, attacker: ATTACKERS.sshGuesser, victim: SERVERS.bastion, proto: 'tcp', dst_port: 22, note: `SSH password guessing: ${sshCount} connections` });

  const ftpScene = ctx.episode();
  const ftpCount = scaled(ctx, 45);
  for (const t of starts(ctx, ctx.slot.start + part, length, ftpCount)) ftp(ctx, ftpScene, t);
  episodes.push({ trace: ftpScene.trace, attacker: ATTACKERS.ftpGuesser, victim: SERVERS.ftp, proto: 'tcp', dst_port: 21, note: `FTP password guessing: ${ftpCount} connections` });

  const webScene = ctx.episode();
  const webCount = scaled(ctx, 150);
  const page = htmlPage(ctx.rng, 2300, 'Log In &lsaquo; Corp &#8212; WordPress');
  for (const t of starts(ctx, ctx.slot.start + 2 * part, length, webCount)) webLogin(ctx, webScene, t, page);
  episodes.push({ trace: webScene.trace, attacker: ATTACKERS.webGuesser, victim: SERVERS.web, proto: 'tcp', dst_port: 80, note: `web login form guessing: ${webCount} POSTs to /wp-login.php` });
  return { episodes };
}
