/**
 * Network namespaces for live-capture tests. A test gets one private
 * namespace holding both ends of a veth pair: it sends on one end (tcpreplay)
 * and captures on the other, so no frame ever reaches the host's interfaces.
 * The namespace is kept quiet (IPv6 off, no addresses), so the only frames on
 * the wire are the ones the test sends.
 *
 * `netnsSupport` says whether this machine can do it (root, `ip netns`,
 * tcpreplay); suites skip with a visible message when it cannot.
 *
 * @example
 * import { createVethNamespace, netnsSupport } from './netns.js';
 * const ns = createVethNamespace('live');
 * try { ns.exec(['tcpreplay', '-i', ns.sendIf, 'x.pcap']); } finally { ns.destroy(); }
 * @module
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

export interface Support {
  ok: boolean;
  /** Why not, when `ok` is false. */
  reason?: string;
}

let cached: Support | undefined;

function run(cmd: string, args: string[], timeoutMs = 10_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
}

function must(cmd: string, args: string[], timeoutMs?: number): string {
  const r = run(cmd, args, timeoutMs);
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Whether namespaces and veth pairs can be made here, and the listed tools
 * are installed. Checked once (it creates and deletes a probe namespace).
 */
export function netnsSupport(tools: string[] = ['tcpreplay']): Support {
  if (!cached) cached = probe();
  if (!cached.ok) return cached;
  for (const tool of tools) {
    const r = run('sh', ['-c', `command -v ${tool}`]);
    if (r.status !== 0) return { ok: false, reason: `${tool} is not installed (apt-get install -y ${tool})` };
  }
  return cached;
}

function probe(): Support {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'live capture tests need root (network namespaces, CAP_NET_RAW)' };
  const name = `mnprobe-${process.pid}`;
  const add = run('ip', ['netns', 'add', name]);
  if (add.error) return { ok: false, reason: `ip netns: ${add.error.message} (apt-get install -y iproute2)` };
  if (add.status !== 0) return { ok: false, reason: `ip netns add failed: ${add.stderr.trim()}` };
  const veth = run('ip', ['-n', name, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
  run('ip', ['netns', 'del', name]);
  if (veth.status !== 0) return { ok: false, reason: `cannot create a veth pair: ${veth.stderr.trim()}` };
  return { ok: true };
}

export interface VethNamespace {
  /** The namespace name (for `ip netns exec`). */
  readonly name: string;
  /** The veth end to capture on. */
  readonly captureIf: string;
  /** Its peer, to send on. */
  readonly sendIf: string;
  /** `ip netns exec <name> ...argv`, waiting for it; throws on failure. Returns stdout. */
  exec(argv: string[], timeoutMs?: number): string;
  /** The argv prefix that runs a command inside the namespace (for spawn). */
  prefix(): string[];
  /** Deletes the namespace (and with it the veth pair). Idempotent; never throws. */
  destroy(): void;
}

const live = new Set<string>();
let exitHookInstalled = false;

/** Last resort: a namespace a crashed test left behind is deleted when the process exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const name of live) spawnSync('ip', ['netns', 'del', name], { timeout: 5000 });
  });
}

let counter = 0;

/**
 * Creates namespace `mn-<tag>-<pid>-<n>` holding a veth pair, both ends up,
 * with no addresses and IPv6 disabled. Interface names fit IFNAMSIZ (15).
 */
export function createVethNamespace(tag: string): VethNamespace {
  const n = counter++;
  const name = `mn-${tag}-${process.pid}-${n}`;
  const short = `${(process.pid % 1e6).toString(36)}${n.toString(36)}`;
  const captureIf = `mnc${short}`;
  const sendIf = `mns${short}`;
  installExitHook();
  must('ip', ['netns', 'add', name]);
  live.add(name);
  const ns: VethNamespace = {
    name,
    captureIf,
    sendIf,
    exec: (argv, timeoutMs) => must('ip', ['netns', 'exec', name, ...argv], timeoutMs),
    prefix: () => ['ip', 'netns', 'exec', name],
    destroy: () => {
      if (!live.has(name)) return;
      run('ip', ['netns', 'del', name]);
      live.delete(name);
    },
  };
  try {
    // Before the links exist, so they never get IPv6 link-local addresses
    // and never send router solicitations or MLD reports into the capture.
    // (Fails harmlessly where IPv6 is compiled out.)
    run('ip', ['netns', 'exec', name, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    must('ip', ['-n', name, 'link', 'add', captureIf, 'type', 'veth', 'peer', 'name', sendIf]);
    for (const ifname of [captureIf, sendIf]) must('ip', ['-n', name, 'link', 'set', ifname, 'up']);
    waitForCarrier(name, [captureIf, sendIf]);
  } catch (err) {
    ns.destroy();
    throw err;
  }
  return ns;
}

/** Waits (at most `timeoutMs`) until every link reports LOWER_UP. */
function waitForCarrier(ns: string, links: string[], timeoutMs = 5000): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const down = links.filter((l) => !/[<,]LOWER_UP[,>]/.test(must('ip', ['-n', ns, '-o', 'link', 'show', 'dev', l])));
    if (down.length === 0) return;
    if (Date.now() > deadline) throw new Error(`links ${down.join(', ')} in ${ns} did not come up`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}
