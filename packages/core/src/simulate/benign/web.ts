/**
 * Web use: a page visit resolves the site's name and opens one to three
 * connections to it, over TLS for most sites and plain HTTP for the few
 * that still use it (package mirrors, certificate trust lists,
 * connectivity checks) and for the intranet. A connection carries a few
 * requests, the responses sized as web objects are (log-normal, a few KB
 * typical, now and then a large one), then idles until one side closes it.
 * @module
 */
import { SERVERS, type Site, SITES } from '../network.js';
import { browserHeaders, htmlPage, httpRequest, httpResponse } from '../protocols/http.js';
import { encrypted, tlsHandshake } from '../protocols/tls.js';
import type { Rng } from '../random.js';
import type { Scene } from '../scene.js';
import { tcp } from '../scene.js';
import type { StubResolvers } from './dns.js';

const HTTPS_SITES = SITES.filter((s) => !s.http).map((s) => [s, s.weight] as const);
const INTRANET_PATHS = ['/', '/news/', '/wiki/Onboarding', '/wiki/Expenses', '/timesheets/', '/directory/?q=smith', '/static/app.js', '/static/site.css'];

/** Size of one web object: log-normal around 4 KB, at most 1 MB. */
const objectSize = (rng: Rng) => Math.min(1_000_000, Math.round(rng.lognormal(4_000, 1.0)));

/** One HTTPS connection: handshake, `requests` request/response pairs, idle, close. */
function httpsConnection(scene: Scene, client: string, site: Site, at: number, requests: number): void {
  const { rng } = scene;
  const c = tcp(scene, client, site.ip, 443, at).connect();
  tlsHandshake(c, rng, site.name, [2500, 5200], [200, 3000]);
  for (let i = 0; i < requests; i++) {
    c.send('client', encrypted(rng, rng.int(350, 1100)), { after: i === 0 ? 0 : Math.round(rng.lognormal(80_000, 1.2)) });
    c.send('server', encrypted(rng, objectSize(rng)), { after: Math.round(rng.lognormal(15_000, 0.8)) });
  }
  // Browsers keep idle connections for a while; servers drop them after their keep-alive timeout.
  const idle = Math.round(rng.float(2e6, 45e6));
  if (rng.chance(0.1)) c.reset('client', idle);
  else c.close(rng.chance(0.6) ? 'client' : 'server', idle);
}

/** One plain HTTP connection with `paths` fetched in turn. */
function httpConnection(scene: Scene, client: string, server: string, host: string, at: number, paths: string[], userAgent: string): void {
  const { rng } = scene;
  const c = tcp(scene, client, server, 80, at).connect();
  for (const [i, path] of paths.entries()) {
    c.send('client', httpRequest({ method: 'GET', host, path, headers: browserHeaders(userAgent) }), { after: i === 0 ? 0 : rng.int(5_000, 400_000) });
    const notModified = path.startsWith('/static/') && rng.chance(0.5);
    const body = notModified ? new Uint8Array(0) : htmlPage(rng, rng.int(1800, 24_000), host);
    const date = Math.floor(c.time / 1e6);
    const contentType = path.endsWith('.js') ? 'application/javascript' : path.endsWith('.css') ? 'text/css' : 'text/html; charset=utf-8';
    c.send('server', httpResponse({ status: notModified ? 304 : 200, date, contentType, body }), { after: rng.int(800, 20_000) });
  }
  c.close('client', rng.int(1e6, 15e6));
}

/** Windows checking its certificate trust list (usually unchanged), or a captive-portal check. */
function backgroundHttp(scene: Scene, client: string, site: Site, at: number): void {
  const { rng } = scene;
  const c = tcp(scene, client, site.ip, 80, at).connect();
  const date = Math.floor(at / 1e6);
  if (site.name.startsWith('ctldl.')) {
    const path = `/msdownload/update/v3/static/trustedr/en/authrootstl.cab?${rng.hex(16)}`;
    c.send('client', httpRequest({ method: 'GET', host: site.name, path, headers: [['User-Agent', 'Microsoft-CryptoAPI/10.0'], ['If-Modified-Since', 'Tue, 10 Dec 2025 21:03:12 GMT']] }));
    c.send('server', httpResponse({ status: 304, date, server: 'ECAcc (lhd/35A5)', body: new Uint8Array(0) }), { after: rng.int(500, 5000) });
  } else {
    c.send('client', httpRequest({ method: 'GET', host: site.name, path: '/generate_204', headers: [['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64)']] }));
    c.send('server', httpResponse({ status: 204, date, server: 'gws', body: new Uint8Array(0) }), { after: rng.int(300, 3000) });
  }
  c.close('client', rng.int(1000, 200_000));
}

/** One page visit by `client` at `at`. */
export function visit(scene: Scene, resolvers: StubResolvers, client: string, at: number, userAgent: string): void {
  const { rng } = scene;
  if (rng.chance(0.15)) {
    const t = resolvers.resolve(client, 'intranet.corp.example', at);
    const paths = [rng.pick(INTRANET_PATHS), ...Array.from({ length: rng.int(0, 3) }, () => rng.pick(INTRANET_PATHS))];
    httpConnection(scene, client, SERVERS.web, 'intranet.corp.example', t, paths, userAgent);
    return;
  }
  if (rng.chance(0.08)) {
    const site = rng.pick(SITES.filter((s) => s.http && s.name !== 'deb.debian.org'));
    backgroundHttp(scene, client, site, resolvers.resolve(client, site.name, at));
    return;
  }
  const site = rng.weighted(HTTPS_SITES);
  let t = resolvers.resolve(client, site.name, at);
  const connections = rng.weighted([[1, 5], [2, 3], [3, 1]] as const);
  for (let i = 0; i < connections; i++) {
    // Later connections of a page often go to a CDN for its static parts.
    const target = i > 0 && rng.chance(0.5) ? rng.pick(SITES.filter((s) => s.name === 'fonts.gstatic.com' || s.name === 'cdn.jsdelivr.net')) : site;
    if (target !== site) t = resolvers.resolve(client, target.name, t);
    httpsConnection(scene, client, target, t + rng.int(0, 40_000), rng.weighted([[1, 4], [2, 3], [4, 2], [8, 1]] as const));
  }
}

/** A package manager fetching one package of `bytes` from the Debian mirror over plain HTTP. */
export function packageDownload(scene: Scene, resolvers: StubResolvers, client: string, at: number, bytes: number): void {
  const { rng } = scene;
  const mirror = SITES.find((s) => s.name === 'deb.debian.org')!;
  const c = tcp(scene, client, mirror.ip, 80, resolvers.resolve(client, mirror.name, at)).connect();
  const path = '/debian/pool/main/l/linux-signed-amd64/linux-image-6.1.0-28-amd64_6.1.119-1_amd64.deb';
  c.send('client', httpRequest({ method: 'GET', host: mirror.name, path, headers: [['User-Agent', 'Debian APT-HTTP/1.3 (2.6.1)']] }));
  const start = new TextEncoder().encode('!<arch>\ndebian-binary   ');
  const head = httpResponse({ status: 200, date: Math.floor(at / 1e6), server: 'Apache', contentType: 'application/vnd.debian.binary-package', body: start, contentLength: bytes });
  c.send('server', { length: head.length - start.length + bytes, head, block: rng.bytes(65536) }, { after: rng.int(2000, 20_000) });
  c.close('client', rng.int(500, 5000));
}
