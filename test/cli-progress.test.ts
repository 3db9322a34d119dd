/**
 * The ingest progress bar: the share of the file read, whatever the stream
 * inflates to, and a plain line instead of a bar when not on a terminal.
 */
import { describe, expect, it } from 'vitest';

import { ProgressReporter } from '../packages/cli/src/progress.js';

/** A stream that keeps what is written, a terminal or not. */
function recorder(isTTY: boolean) {
  const written: string[] = [];
  const stream = { isTTY, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('ProgressReporter', () => {
  const size = 40_000_000;
  // A gzipped capture a quarter read in 10 s: its stream has already passed the file's size twice over.
  const gzQuarter = { path: 'big.pcap.gz', bytesRead: 2 * size, fileBytesRead: size / 4, size, seconds: 10, packets: 1_500_000, flows: 90_000 };

  it('draws the bar at the share of the file read, not of the stream', () => {
    const { stream, written } = recorder(true);
    const progress = new ProgressReporter(false, stream);
    progress.startFile(gzQuarter.path, 0, 1);
    progress.update(gzQuarter);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\r\x1b\[K\[={6} {18}\]  25% 1\.5M packets, 90\.0k flows, 1\.0 MB\/s, ETA 0:30$/);
    progress.endFile();
    expect(written.at(-1)).toBe('\r\x1b[K');
  });

  it('names each file on a line of its own when not on a terminal (no bar), and writes nothing when quiet', () => {
    const plain = recorder(false);
    const progress = new ProgressReporter(false, plain.stream);
    progress.startFile(gzQuarter.path, 1, 3);
    progress.update(gzQuarter); // the first plain progress line comes a few seconds into the file
    expect(plain.written).toEqual(['[2/3] big.pcap.gz\n']);
    const quiet = recorder(true);
    const silent = new ProgressReporter(true, quiet.stream);
    silent.startFile(gzQuarter.path, 0, 1);
    silent.update(gzQuarter);
    expect(quiet.written).toEqual([]);
  });
});
