/**
 * Where the shared corpus lives, and a helper that skips a suite with a
 * visible message when it is absent (it is present in CI).
 * @module
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = process.env.MOMMYNET_SHARED ?? resolve(REPO_ROOT, '..', 'shared');
export const CORPUS_PCAPS = join(SHARED, 'corpus', 'pcaps');
export const CORPUS_EDGE = join(SHARED, 'corpus', 'edge');

export const haveCorpus = existsSync(CORPUS_PCAPS) && existsSync(CORPUS_EDGE);

if (!haveCorpus) console.warn(`[corpus] ${SHARED}/corpus not found: corpus tests are skipped`);

export function corpusFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.(pcap|pcapng|cap)(\.gz)?$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** The corpus captures of normal traffic (SOURCES.md), on which detectors must stay quiet. */
export const BENIGN_CAPTURES = [
  'zeek_echo-connections.pcap',
  'malcolm_DNS.pcap',
  'malcolm_SSL.pcap',
  'ndpi_netflix.pcap',
  'ndpi_teams.pcap',
  'cs_http_espn.pcapng',
] as const;

/** A capture of corpus/pcaps by file name, or undefined when this corpus lacks it. */
export function corpusCapture(name: string): string | undefined {
  return corpusFiles(CORPUS_PCAPS).find((f) => f.endsWith(name));
}
