/** Writes a synthetic capture to a temporary file and returns its path. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PcapWriter } from '@mommynet/core/synth';

const dir = mkdtempSync(join(tmpdir(), 'mommy-test-'));
let n = 0;

/** Frames stamped from `startMicros`, `stepMicros` apart unless given a time. */
export function writeCapture(
  frames: (Uint8Array | { tsMicros: number; frame: Uint8Array })[],
  startMicros = 1_700_000_000_000_000,
  stepMicros = 1000,
): string {
  const w = new PcapWriter();
  let t = startMicros;
  for (const f of frames) {
    if (f instanceof Uint8Array) {
      w.add(t, f);
      t += stepMicros;
    } else {
      w.add(f.tsMicros, f.frame);
      t = f.tsMicros + stepMicros;
    }
  }
  const path = join(dir, `capture-${process.pid}-${n++}.pcap`);
  writeFileSync(path, w.toBuffer());
  return path;
}
