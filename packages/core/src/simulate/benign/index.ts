/**
 * The normal traffic of the organisation over the capture: every
 * workstation browses (page visits as a Poisson process, each person at
 * their own pace, everyone active from the first seconds), looks up names
 * and keeps its clock; the monitoring server pings the servers; two
 * administrators work on the bastion host over SSH, developers fetch from
 * the git server, one Linux machine downloads a package and one person
 * copies a file to the file server.
 * @module
 */
import { SERVERS, WORKSTATIONS } from '../network.js';
import { QTYPE } from '../protocols/dns.js';
import { USER_AGENTS } from '../protocols/http.js';
import type { Scene } from '../scene.js';
import { StubResolvers } from './dns.js';
import { ntpTraffic } from './ntp.js';
import { pingTraffic } from './ping.js';
import { gitFetch, interactiveSession, scpUpload } from './ssh.js';
import { packageDownload, visit } from './web.js';

export function benignTraffic(scene: Scene): void {
  const { rng } = scene;
  const span = scene.end - scene.start;
  const resolvers = new StubResolvers(scene);
  const people = rng.fork('people');
  const [admin1, admin2, dev1, dev2, dev3, linux, copier] = people.shuffle(WORKSTATIONS);

  for (const ws of WORKSTATIONS) {
    const userAgent = rng.pick(USER_AGENTS);
    // Page visits per minute: most people a few, some many.
    const meanGap = 60e6 / rng.lognormal(0.6, 0.6);
    for (let t = scene.start + rng.float(0, 15e6); t < scene.end - 5e6; t += rng.exp(meanGap)) visit(scene, resolvers, ws, t, userAgent);
    // Half the machines look for a proxy configuration (WPAD) once: a name nobody has.
    if (rng.chance(0.5)) resolvers.exchange(ws, 'wpad.corp.example', QTYPE.A, scene.start + rng.float(0, span), rng.int(200, 800), []);
  }
  ntpTraffic(scene);
  pingTraffic(scene);
  for (const admin of [admin1!, admin2!]) {
    const from = scene.start + rng.float(0, span / 3);
    interactiveSession(scene, admin, SERVERS.bastion, resolvers.resolve(admin, 'bastion.corp.example', from), from + rng.float(span / 3, span * 0.6));
  }
  for (const dev of [dev1!, dev2!, dev3!]) {
    const t = scene.start + rng.float(0, span * 0.9);
    gitFetch(scene, dev, SERVERS.git, resolvers.resolve(dev, 'git.corp.example', t), Math.round(rng.lognormal(60_000, 1)));
  }
  packageDownload(scene, resolvers, linux!, scene.start + rng.float(span * 0.1, span * 0.8), rng.int(2_000_000, 6_000_000));
  const t = scene.start + rng.float(span * 0.1, span * 0.8);
  scpUpload(scene, copier!, SERVERS.files, resolvers.resolve(copier!, 'files.corp.example', t), rng.int(3_000_000, 9_000_000));
}
