/**
 * Test helpers: read every flow of a capture as plain records, and run
 * reference tools.
 * @module
 */
import { execFileSync } from 'node:child_process';

import { Capture, type CaptureStats, type FileOptions, type FlowRecord, flowRecords } from '@mommynet/core';

export interface CaptureResult {
  flows: FlowRecord[];
  stats: CaptureStats;
  error?: Error;
}

export async function readFlows(path: string, options?: FileOptions): Promise<CaptureResult> {
  const capture = Capture.openFile(path, options);
  const flows: FlowRecord[] = [];
  let error: Error | undefined;
  try {
    for await (const batch of capture) flows.push(...flowRecords(batch));
  } catch (err) {
    error = err as Error;
  }
  return { flows, stats: capture.stats(), error };
}

export function haveTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** tshark's field output, one array of values per packet. */
export function tsharkFields(path: string, fields: string[], displayFilter?: string, extra: string[] = []): string[][] {
  const args = ['-n', ...extra, '-r', path, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=|'];
  if (displayFilter) args.push('-Y', displayFilter);
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}
