/**
 * `payload_signature`: an outside host probes the web server's
 * applications with injection requests, as sqlmap, nikto or a person with
 * a proxy send them: SQL injection, cross-site scripting, command
 * injection and path traversal, in the query string (URL-encoded, some
 * twice) or in a header, each in its own connection, answered with errors
 * or pages. Medium: 20 requests, cycling through the list (low 4, high
 * 100).
 * @module
 */
import { ATTACKERS, SERVERS } from '../network.js';
import { httpRequest, httpResponse } from '../protocols/http.js';
import { tcp } from '../scene.js';
import { type AttackContext, type AttackOutput, scaled } from './attack.js';

const PORT = 80;
const enc = new TextEncoder();

/** Request paths (and one header) carrying attacks; one of each kind first, so that even a few requests show all four. */
const ATTACKS: { path: string; header?: [string, string] }[] = [
  { path: "/products.php?id=1%27%20OR%20%271%27%3D%271" },
  { path: '/search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E' },
  { path: '/cgi-bin/ping.cgi?host=127.0.0.1%3Bcat%20%2Fetc%2Fpasswd' },
  { path: '/download.php?file=../../../../etc/passwd' },
  { path: '/item.php?id=-1+UNION+ALL+SELECT+username,password+FROM+users--+-' },
  { path: '/comment?text=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E' },
  { path: '/api/diag?ip=8.8.8.8|whoami' },
  { path: '/static/..%2f..%2f..%2f..%2fetc%2fpasswd' },
  { path: "/news.php?id=1'+AND+SLEEP(5)--+" },
  { path: '/redirect?to=javascript:alert(1)' },
  { path: '/cgi-bin/status', header: ['User-Agent', '() { :; }; /bin/bash -c "cat /etc/passwd"'] },
  { path: '/files?name=%252e%252e%252f%252e%252e%252fetc%252fpasswd' },
  { path: '/index.php?page=php://filter/convert.base64-encode/resource=config.php' },
  { path: "/login.php?user=admin'--&pass=x" },
  { path: '/view?doc=..%c0%af..%c0%af..%c0%afetc/passwd' },
];

export function payloadSignature(ctx: AttackContext): AttackOutput {
  const { rng } = ctx;
  const scene = ctx.episode();
  const count = scaled(ctx, 20);
  const gap = Math.min(25e6, ctx.slot.end - ctx.slot.start) / count;
  for (let i = 0, t = ctx.slot.start; i < count; i++, t += rng.exp(gap)) {
    const attack = ATTACKS[i % ATTACKS.length]!;
    const c = tcp(scene, ATTACKERS.webAttacker, SERVERS.web, PORT, t).connect();
    const headers: [string, string][] = [attack.header ?? ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'], ['Accept', '*/*']];
    c.send('client', httpRequest({ method: 'GET', host: 'www.corp.example', path: attack.path, headers }));
    const status = rng.pick([400, 403, 404, 500, 200]);
    c.send('server', httpResponse({ status, date: Math.floor(c.time / 1e6), contentType: 'text/html', body: enc.encode(`<html><body><h1>${status}</h1></body></html>\n`) }), { after: rng.int(1000, 40_000) });
    c.close('client', rng.int(1000, 50_000));
  }
  return {
    episodes: [{ trace: scene.trace, attacker: ATTACKERS.webAttacker, victim: SERVERS.web, proto: 'tcp', dst_port: PORT, note: `${count} HTTP requests with SQL injection, XSS, command injection and path traversal` }],
  };
}
