#!/usr/bin/env node
/**
 * Builds the benchmark capture: bench/out/bench.pcap, a classic pcap
 * (Ethernet, microsecond timestamps) of a given number of packets made by
 * replaying the corpus captures many times over.
 *
 * How it is made:
 * - Every Ethernet frame carrying IPv4 (optionally behind one 802.1Q tag) is
 *   taken from every corpus capture (pcap and pcapng); other frames (ARP,
 *   IPv6, other link types) and frames whose IPv4 header was not captured
 *   are skipped. Each file's timestamps are rebased to start at 0 and the
 *   files are merged by time into one "round".
 * - The round is replayed in `copies` copies; copy k is shifted by
 *   k × strideUs microseconds, so the copies overlap in time and their flows
 *   are concurrent. The copies are merged by time and the output stops after
 *   `packets` packets (the last part of the round's timeline may be cut).
 * - Every distinct (file, IPv4 address) pair gets an index i; in copy k it is
 *   rewritten to 10.0.0.0 + ((k × A + i) mod 2^24), A being the number of
 *   pairs, so each copy's flows are distinct from every other copy's.
 * - Lengths are kept (caplen, wire length, Ethernet padding). The IPv4 header
 *   checksum is recomputed. TCP and UDP checksums are adjusted incrementally
 *   for the address change (RFC 1624) when the transport header was captured
 *   and the packet is the first fragment: a checksum that was right stays
 *   right, one that was wrong (checksum offload on the capturing host) stays
 *   wrong, and a UDP checksum of zero (none) stays zero. Addresses quoted
 *   inside ICMP errors are left as they were.
 *
 * The output is deterministic. A sidecar `<out>.json` records the
 * parameters; when they match and the file has the recorded size, the file
 * is reused.
 *
 * @example
 * node bench/make-capture.mjs --packets 5000000
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..');
const GENERATOR_VERSION = 1;
const BASE_TIME_S = 1_700_000_000; // 2023-11-14T22:13:20Z, first packet of the output

export function corpusDir() {
  const shared = process.env.MOMMYNET_SHARED ?? path.resolve(REPO, '../shared');
  return path.join(shared, 'corpus', 'pcaps');
}

// ---- reading the corpus ------------------------------------------------------

/** Yields {ts (ns, Number), caplen, wirelen, linktype, data} for a classic pcap. */
function* readPcap(buf, name) {
  const MICRO = 0xa1b2c3d4;
  const NANO = 0xa1b23c4d;
  const le = [MICRO, NANO].includes(buf.readUInt32LE(0));
  const magic = le ? buf.readUInt32LE(0) : buf.readUInt32BE(0);
  if (magic !== MICRO && magic !== NANO) throw new Error(`${name}: not a pcap file`);
  const nanos = magic === NANO;
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = u32(20) & 0x0fffffff;
  for (let off = 24; off + 16 <= buf.length; ) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const caplen = u32(off + 8);
    const wirelen = u32(off + 12);
    if (off + 16 + caplen > buf.length) break; // cut short: stop as a reader would
    yield {
      ts: sec * 1e9 + (nanos ? frac : frac * 1000),
      caplen,
      wirelen,
      linktype,
      data: buf.subarray(off + 16, off + 16 + caplen),
    };
    off += 16 + caplen;
  }
}

/** Enhanced Packet Blocks of a pcapng file (SHB, IDB with if_tsresol, EPB). */
function* readPcapng(buf, name) {
  let le = true;
  let ifaces = [];
  for (let off = 0; off + 12 <= buf.length; ) {
    let type = buf.readUInt32LE(off);
    if (type === 0x0a0d0d0a) {
      const bom = buf.readUInt32LE(off + 8);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new Error(`${name}: bad pcapng byte-order magic`);
      ifaces = [];
    }
    const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const u16 = (o) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
    type = u32(off);
    const len = u32(off + 4);
    if (len < 12 || off + len > buf.length) break;
    if (type === 1) {
      const ifc = { linktype: u16(off + 8), unitsPerSec: 1e6 };
      for (let o = off + 16; o + 4 <= off + len - 4; ) {
        const code = u16(o);
        const olen = u16(o + 2);
        if (code === 0) break;
        if (code === 9 && olen >= 1) {
          const r = buf[o + 4];
          ifc.unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        }
        o += 4 + ((olen + 3) & ~3);
      }
      ifaces.push(ifc);
    } else if (type === 6) {
      const ifc = ifaces[u32(off + 8)];
      const units = u32(off + 12) * 2 ** 32 + u32(off + 16);
      const caplen = u32(off + 20);
      const wirelen = u32(off + 24);
      if (ifc && 28 + caplen <= len) {
        yield {
          ts: Math.round((units / ifc.unitsPerSec) * 1e9),
          caplen,
          wirelen,
          linktype: ifc.linktype,
          data: buf.subarray(off + 28, off + 28 + caplen),
        };
      }
    }
    off += len;
  }
}

/** Offset of the IPv4 header in an Ethernet frame, or -1 when it is not a whole IPv4 header. */
function ipv4Offset(data) {
  if (data.length < 14) return -1;
  let l3 = 14;
  let ethertype = data.readUInt16BE(12);
  if (ethertype === 0x8100) {
    if (data.length < 18) return -1;
    ethertype = data.readUInt16BE(16);
    l3 = 18;
  }
  if (ethertype !== 0x0800 || data.length < l3 + 20) return -1;
  const ihl = (data[l3] & 0x0f) * 4;
  if (data[l3] >> 4 !== 4 || ihl < 20 || data.length < l3 + ihl) return -1;
  return l3;
}

/**
 * Reads every corpus capture into one time-ordered round of IPv4 packets.
 * Returns {packets: [{t, data, wirelen, l3, src, dst}], addresses, files, skipped}.
 */
export function loadRound(dir = corpusDir()) {
  const names = fs
    .readdirSync(dir)
    .filter((n) => /\.(pcap|pcapng)$/.test(n))
    .sort();
  const packets = [];
  const addrIndex = new Map(); // "file#addr" -> index
  const files = [];
  const skipped = { notIpv4: 0, notEthernet: 0 };
  for (const [fi, name] of names.entries()) {
    const full = path.join(dir, name);
    const buf = fs.readFileSync(full);
    const st = fs.statSync(full);
    const magic = buf.readUInt32LE(0);
    const records = magic === 0x0a0d0d0a ? readPcapng(buf, name) : readPcap(buf, name);
    const mine = [];
    for (const r of records) {
      if (r.linktype !== 1) {
        skipped.notEthernet++;
        continue;
      }
      const l3 = ipv4Offset(r.data);
      if (l3 < 0) {
        skipped.notIpv4++;
        continue;
      }
      const idx = (a) => {
        const k = `${fi}#${a}`;
        let i = addrIndex.get(k);
        if (i === undefined) addrIndex.set(k, (i = addrIndex.size));
        return i;
      };
      mine.push({
        t: r.ts,
        data: r.data,
        wirelen: r.wirelen,
        l3,
        src: idx(r.data.readUInt32BE(l3 + 12)),
        dst: idx(r.data.readUInt32BE(l3 + 16)),
      });
    }
    const t0 = mine.reduce((m, p) => Math.min(m, p.t), Infinity);
    for (const p of mine) p.t -= t0;
    files.push({ name, bytes: st.size, mtimeMs: Math.trunc(st.mtimeMs), ipv4Packets: mine.length });
    for (const p of mine) packets.push(p);
  }
  // Stable sort: equal times keep file order, then packet order.
  packets.sort((a, b) => a.t - b.t);
  return { packets, addresses: addrIndex.size, files, skipped };
}

// ---- rewriting ----------------------------------------------------------------

function ipHeaderChecksum(buf, off, len) {
  let sum = 0;
  for (let i = 0; i < len; i += 2) if (i !== 10) sum += (buf[off + i] << 8) | buf[off + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over the four 16-bit words of the two addresses.
function adjustChecksum(old, oldSrc, oldDst, newSrc, newDst) {
  let sum = ~old & 0xffff;
  for (const w of [oldSrc >>> 16, oldSrc & 0xffff, oldDst >>> 16, oldDst & 0xffff]) sum += ~w & 0xffff;
  sum += (newSrc >>> 16) + (newSrc & 0xffff) + (newDst >>> 16) + (newDst & 0xffff);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Rewrites the IPv4 packet at buf[l3..] (captured up to `end`) to the new addresses. */
function rewrite(buf, l3, end, newSrc, newDst) {
  const ihl = (buf[l3] & 0x0f) * 4;
  const oldSrc = buf.readUInt32BE(l3 + 12);
  const oldDst = buf.readUInt32BE(l3 + 16);
  buf.writeUInt32BE(newSrc, l3 + 12);
  buf.writeUInt32BE(newDst, l3 + 16);
  buf.writeUInt16BE(ipHeaderChecksum(buf, l3, ihl), l3 + 10);
  const fragOffset = buf.readUInt16BE(l3 + 6) & 0x1fff;
  if (fragOffset !== 0) return;
  const l4 = l3 + ihl;
  const proto = buf[l3 + 9];
  if (proto === 6 && l4 + 18 <= end) {
    const c = buf.readUInt16BE(l4 + 16);
    buf.writeUInt16BE(adjustChecksum(c, oldSrc, oldDst, newSrc, newDst), l4 + 16);
  } else if (proto === 17 && l4 + 8 <= end) {
    const c = buf.readUInt16BE(l4 + 6);
    if (c !== 0) {
      const n = adjustChecksum(c, oldSrc, oldDst, newSrc, newDst);
      buf.writeUInt16BE(n === 0 ? 0xffff : n, l4 + 6);
    }
  }
}

// ---- building -----------------------------------------------------------------

function parametersOf(opts, files) {
  return {
    generator: GENERATOR_VERSION,
    packets: opts.packets,
    strideUs: opts.strideUs,
    baseTime: BASE_TIME_S,
    corpus: files.map(({ name, bytes, mtimeMs }) => ({ name, bytes, mtimeMs })),
  };
}

function corpusFiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((n) => /\.(pcap|pcapng)$/.test(n))
    .sort()
    .map((name) => {
      const st = fs.statSync(path.join(dir, name));
      return { name, bytes: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
    });
}

/**
 * Builds (or reuses) the capture. Returns {path, reused, meta}.
 * @param {{packets?: number, out?: string, strideUs?: number, force?: boolean, log?: (s: string) => void}} options
 */
export function makeCapture(options = {}) {
  const opts = {
    packets: options.packets ?? 5_000_000,
    strideUs: options.strideUs ?? 1000,
    out: options.out ?? path.join(REPO, 'bench', 'out', 'bench.pcap'),
  };
  const log = options.log ?? ((s) => process.stderr.write(s + '\n'));
  if (!Number.isInteger(opts.packets) || opts.packets < 1) throw new RangeError('packets must be a positive integer');
  if (!Number.isInteger(opts.strideUs) || opts.strideUs < 0) throw new RangeError('strideUs must be an integer ≥ 0');
  const dir = corpusDir();
  const sidecar = opts.out + '.json';
  const wanted = parametersOf(opts, corpusFiles(dir));

  if (!options.force && fs.existsSync(opts.out) && fs.existsSync(sidecar)) {
    try {
      const meta = JSON.parse(fs.readFileSync(sidecar, 'utf8'));
      if (
        JSON.stringify(meta.parameters) === JSON.stringify(wanted) &&
        fs.statSync(opts.out).size === meta.written.bytes
      ) {
        log(`reusing ${path.relative(process.cwd(), opts.out)} (${meta.written.packets} packets, parameters match)`);
        return { path: opts.out, reused: true, meta };
      }
    } catch {
      // unreadable sidecar: rebuild
    }
  }

  const started = Date.now();
  const round = loadRound(dir);
  const R = round.packets.length;
  if (R === 0) throw new Error(`no Ethernet/IPv4 packets in ${dir}`);
  const A = round.addresses;
  const copies = Math.ceil(opts.packets / R);
  const strideNs = opts.strideUs * 1000;
  log(
    `building ${opts.packets} packets: ${R} IPv4 packets per round from ${round.files.length} files, ` +
      `${A} (file, address) pairs, ${copies} copies ${opts.strideUs} µs apart`,
  );

  // Merge the copies by time: a binary heap of copy numbers keyed by
  // (time of the copy's next packet, copy number).
  const pos = new Int32Array(copies);
  const heap = Array.from({ length: copies }, (_, k) => k);
  const key = (k) => round.packets[pos[k]].t + k * strideNs;
  const less = (a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb || (ka === kb && a < b);
  };
  const siftDown = (i) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  // Copy k starts later than copy k-1 at the same position: already a heap.

  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  const tmp = opts.out + '.tmp';
  const fd = fs.openSync(tmp, 'w');
  const CHUNK = 8 << 20;
  let out = Buffer.alloc(CHUNK);
  let used = 0;
  let bytes = 0;
  const flush = () => {
    fs.writeSync(fd, out, 0, used);
    bytes += used;
    used = 0;
  };
  // File header: LE, v2.4, thiszone 0, sigfigs 0, snaplen 262144, Ethernet.
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeInt32LE(0, 8);
  out.writeUInt32LE(0, 12);
  out.writeUInt32LE(262144, 16);
  out.writeUInt32LE(1, 20);
  used = 24;

  const wrapMask = 0xffffff;
  let written = 0;
  let lastT = 0;
  while (written < opts.packets && heap.length > 0) {
    const k = heap[0];
    const p = round.packets[pos[k]];
    const t = p.t + k * strideNs;
    lastT = t;
    const caplen = p.data.length;
    if (used + 16 + caplen > out.length) {
      flush();
      if (16 + caplen > out.length) out = Buffer.alloc(16 + caplen);
    }
    const sec = BASE_TIME_S + Math.floor(t / 1e9);
    const usec = Math.floor((t % 1e9) / 1000);
    out.writeUInt32LE(sec, used);
    out.writeUInt32LE(usec, used + 4);
    out.writeUInt32LE(caplen, used + 8);
    out.writeUInt32LE(p.wirelen, used + 12);
    const body = used + 16;
    p.data.copy(out, body);
    const newSrc = (0x0a000000 | ((k * A + p.src) & wrapMask)) >>> 0;
    const newDst = (0x0a000000 | ((k * A + p.dst) & wrapMask)) >>> 0;
    rewrite(out, body + p.l3, body + caplen, newSrc, newDst);
    used = body + caplen;
    written++;

    if (++pos[k] >= R) {
      heap[0] = heap[heap.length - 1];
      heap.pop();
    }
    if (heap.length > 0) siftDown(0);
  }
  flush();
  fs.closeSync(fd);
  fs.renameSync(tmp, opts.out);

  const meta = {
    parameters: wanted,
    written: {
      packets: written,
      bytes,
      copies,
      roundPackets: R,
      addressPairs: A,
      addressesWrapped: copies * A > wrapMask + 1,
      spanSeconds: lastT / 1e9,
      skippedInCorpus: round.skipped,
    },
    corpusFiles: round.files,
    checksums:
      'IPv4 header recomputed; TCP/UDP adjusted incrementally for the new addresses (RFC 1624), UDP zero kept',
    createdAt: new Date().toISOString(),
  };
  fs.writeFileSync(sidecar, JSON.stringify(meta, null, 2) + '\n');
  log(
    `wrote ${path.relative(process.cwd(), opts.out)}: ${written} packets, ${(bytes / 1e6).toFixed(1)} MB ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return { path: opts.out, reused: false, meta };
}

// ---- command line ---------------------------------------------------------------

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--packets') o.packets = Number(val().replace(/_/g, ''));
    else if (a === '--out') o.out = path.resolve(val());
    else if (a === '--stride-us') o.strideUs = Number(val());
    else if (a === '--force') o.force = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/make-capture.mjs [--packets N] [--out PATH] [--stride-us N] [--force]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { path: p } = makeCapture(parseArgs(process.argv.slice(2)));
  console.log(p);
}
