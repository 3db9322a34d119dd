/**
 * Detection on worker threads, the detectors split between them, gives
 * exactly the alerts of the same detectors on the calling thread, capture
 * after capture, and a failing worker is reported instead of hanging.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  type BatchDetection, Capture, captureBytes, DEFAULT_DETECTION, DETECTOR_NAMES, DetectionSession, INLINE_DETECTION_BYTES, InlineDetection, makeDetectors, ParallelDetection,
  setUpDetection, splitDetectors, startDetection,
} from '@mommynet/core';
import type { RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

import { PcapWriter, TCP, tcpFrame } from '@mommynet/core/synth';

import { detachColumns, VIEW_COLUMNS } from '../packages/core/src/detect/flow-view.js';

import { CORPUS_PCAPS, corpusFiles, haveCorpus, REPO_ROOT } from './support/corpus.js';
import { importGraph } from './support/imports.js';

const captures = haveCorpus ? corpusFiles(CORPUS_PCAPS) : [join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap')];

/**
 * `detection`'s alerts for each capture in turn are a fresh DetectionSession's: nothing of one
 * capture is left for the next. Small batches: many messages, the in-flight bound exercised.
 */
async function expectSessionAlerts(detection: BatchDetection, paths: string[]): Promise<void> {
  for (const path of paths) {
    const session = new DetectionSession();
    for await (const batch of Capture.openFile(path, { batchRows: 512 })) {
      session.observe(batch);
      await detection.observe(batch);
    }
    expect(await detection.finish(), path).toEqual(session.finish());
  }
}

describe('ParallelDetection', () => {
  it('names every detector, and splits them into groups of about equal cost', () => {
    expect(makeDetectors().map((d) => d.name)).toEqual([...DETECTOR_NAMES]);
    const groups = splitDetectors(DETECTOR_NAMES, 2);
    expect(groups).toHaveLength(2);
    expect(groups.flat().sort()).toEqual([...DETECTOR_NAMES].sort());
    expect(groups[0]).toContain('ddos');
    expect(groups[1]).toContain('payload_signature'); // the two costliest apart
    expect(splitDetectors(['ddos'], 4)).toEqual([['ddos']]);
  });

  it.each([1, 2, 3])(`with %i worker(s), raises the same alerts as a DetectionSession on ${haveCorpus ? 'every corpus capture' : 'the sample capture'}`, async (workers) => {
    // One set of workers for every capture, as ingest uses them: each
    // capture's alerts must be those of a fresh session, nothing carried over.
    const parallel = ParallelDetection.start(DEFAULT_DETECTION, { workers });
    try {
      await expectSessionAlerts(parallel, [...captures, captures[0]!]);
    } finally {
      await parallel.close();
    }
  });

  it('runs on the calling thread for small inputs, with the alerts of a fresh session capture after capture', async () => {
    const setup = setUpDetection(DEFAULT_DETECTION);
    const inline = startDetection(setup, { inputBytes: INLINE_DETECTION_BYTES - 1 });
    expect(inline).toBeInstanceOf(InlineDetection);
    try {
      await expectSessionAlerts(inline, [captures.at(-1)!, captures[0]!, captures.at(-1)!]);
    } finally {
      await inline.close();
    }
    const parallel = startDetection(setup, { inputBytes: INLINE_DETECTION_BYTES });
    expect(parallel).toBeInstanceOf(ParallelDetection);
    await parallel.close();
  });

  it('sizes the input as the files together, one that cannot be read counting nothing', () => {
    const sample = join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap');
    const size = statSync(sample).size;
    expect(captureBytes([sample, join(REPO_ROOT, 'no-such-capture.pcap'), sample])).toBe(2 * size);
    expect(captureBytes([])).toBe(0);
  });

  it('gives every batch its own columns when observe is not awaited, the shared memory reused only once every worker is done with it', async () => {
    const path = join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap');
    const batches: RecordBatch[] = [];
    for await (const batch of Capture.openFile(path, { batchRows: 64 })) batches.push(batch);
    const session = new DetectionSession();
    for (const batch of batches) session.observe(batch);
    const parallel = ParallelDetection.start(DEFAULT_DETECTION, { workers: 2 });
    try {
      await Promise.all(batches.map((batch) => parallel.observe(batch)));
      expect(await parallel.finish()).toEqual(session.finish());
    } finally {
      await parallel.close();
    }
  });

  it('fails with the worker\'s error, not a hang, when the worker cannot start its detectors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mommy-parallel-'));
    const list = join(dir, 'intel.txt');
    writeFileSync(list, '203.0.113.7\n');
    rmSync(list); // gone between the check and the worker's own reading
    const parallel = ParallelDetection.start({ ...DEFAULT_DETECTION, threatIntel: { lists: [list] } });
    let failure: unknown;
    try {
      for await (const batch of Capture.openFile(join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap'), { batchRows: 16 })) await parallel.observe(batch);
      await parallel.finish();
    } catch (err) {
      failure = err;
    }
    expect(String(failure)).toMatch(/cannot read indicator list .*intel\.txt/);
    await parallel.close();
  });

  it('starts workers that load only our detection code and Node\'s built-ins (Arrow costs a thread ~0.1 s of CPU to load)', () => {
    const graph = importGraph(join(REPO_ROOT, 'packages', 'core', 'dist', 'detect', 'worker.js'));
    expect(graph.files.length).toBeGreaterThan(20); // every detector's module, so the walk followed the imports
    expect(graph.packages).toEqual([]);
  });
});

describe('detachColumns', () => {
  const columnsOf = (d: ReturnType<typeof detachColumns>) =>
    Object.fromEntries(VIEW_COLUMNS.map((name) => [name, { values: Array.from(d.columns[name].values as unknown as ArrayLike<unknown>), offsets: [...(d.columns[name].valueOffsets ?? [])] }]));

  it('copies into an earlier batch\'s shared buffers where they are large enough, and into new ones where not', async () => {
    const batches: RecordBatch[] = [];
    for await (const batch of Capture.openFile(join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap'), { batchRows: 128 })) batches.push(batch);
    const [big, small] = [batches[0]!, batches.at(-1)!];
    expect(small.numRows).toBeLessThan(big.numRows);
    const first = detachColumns(big);
    const reused = detachColumns(small, first);
    expect(columnsOf(reused)).toEqual(columnsOf(detachColumns(small)));
    for (const name of VIEW_COLUMNS) {
      expect(reused.columns[name].values.buffer, name).toBeInstanceOf(SharedArrayBuffer);
      expect(reused.columns[name].values.buffer, name).toBe(first.columns[name].values.buffer);
    }
    // Back to the large batch: rows beyond the small one's, and every byte of the payloads, must be there.
    const grown = detachColumns(big, reused);
    expect(columnsOf(grown)).toEqual(columnsOf(detachColumns(big)));
    const tiny = detachColumns(small);
    const outgrown = detachColumns(big, tiny);
    expect(columnsOf(outgrown)).toEqual(columnsOf(first));
    expect(outgrown.columns.src_port.values.buffer).not.toBe(tiny.columns.src_port.values.buffer);
  });
});

describe('DetectionSession', () => {
  it('starts each capture afresh, its clock too: a later-dated capture before it leaves nothing behind', async () => {
    // A day-later flow, then a scan of 20 000 ports in 20 s: detection prunes every 16 384 flows,
    // and a clock left at the day-later flow would end the scan's episode at that prune.
    const dir = mkdtempSync(join(tmpdir(), 'mommy-inline-'));
    const T0 = 1_700_000_000_000_000;
    const syn = (port: number) => tcpFrame({ src: '203.0.113.9', dst: '10.0.0.10', srcPort: 40000, dstPort: port, flags: TCP.SYN });
    const later = join(dir, 'later.pcap');
    const scan = join(dir, 'scan.pcap');
    writeFileSync(later, new PcapWriter().add(T0 + 86_400e6, syn(80)).toBuffer());
    const w = new PcapWriter();
    for (let port = 1; port <= 20_000; port++) w.add(T0 + port * 1000, syn(port));
    writeFileSync(scan, w.toBuffer());
    const session = new DetectionSession();
    const alertsOf = async (path: string) => {
      for await (const batch of Capture.openFile(path)) session.observe(batch);
      return session.finish().filter((a) => a.category === 'port_scan');
    };
    try {
      await alertsOf(later);
      const scans = await alertsOf(scan);
      expect(scans).toHaveLength(1);
      expect(scans[0]!.details.distinct_ports).toBe(20_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
