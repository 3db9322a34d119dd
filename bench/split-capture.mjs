/**
 * Splits a classic pcap (little-endian, as bench/make-capture.mjs writes it)
 * into `parts` files of consecutive packets, as a sensor rotating its capture
 * file would leave them: bench/out/split-<parts>/part-NN.pcap. The files are
 * reused when a sidecar records the same source (size and time) and they are
 * all there with their recorded sizes.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

/** Paths of the parts, written now or reused. */
export function splitCapture(source, parts, { packets, outDir, log = () => {} }) {
  const st = fs.statSync(source);
  const sidecar = path.join(outDir, 'parts.json');
  const want = { source: path.basename(source), size: st.size, mtimeMs: st.mtimeMs, parts, packets };
  try {
    const had = JSON.parse(fs.readFileSync(sidecar, 'utf8'));
    const same = Object.entries(want).every(([k, v]) => had[k] === v) &&
      had.files.every((f) => fs.statSync(path.join(outDir, f.name)).size === f.size);
    if (same) return had.files.map((f) => path.join(outDir, f.name));
  } catch {
    // missing or different: write them
  }
  log(`splitting ${path.basename(source)} into ${parts} captures`);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const bytes = fs.readFileSync(source);
  const header = bytes.subarray(0, GLOBAL_HEADER);
  const files = [];
  let at = GLOBAL_HEADER;
  for (let k = 0; k < parts; k++) {
    const count = Math.floor(((k + 1) * packets) / parts) - Math.floor((k * packets) / parts);
    const start = at;
    for (let i = 0; i < count && at < bytes.length; i++) at += RECORD_HEADER + bytes.readUInt32LE(at + 8);
    const name = `part-${String(k).padStart(Math.max(2, String(parts - 1).length), '0')}.pcap`;
    fs.writeFileSync(path.join(outDir, name), Buffer.concat([header, bytes.subarray(start, at)]));
    files.push({ name, size: GLOBAL_HEADER + at - start });
  }
  fs.writeFileSync(sidecar, JSON.stringify({ ...want, files }, null, 2));
  return files.map((f) => path.join(outDir, f.name));
}
