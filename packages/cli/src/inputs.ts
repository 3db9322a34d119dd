/**
 * Capture arguments to file paths: files as given, directories searched
 * recursively for capture files, and quoted globs expanded (the shell
 * expands unquoted ones). Order is stable: as given, each expansion sorted.
 * @module
 */
import { statSync } from 'node:fs';

import { globSync, isDynamicPattern } from 'tinyglobby';

/** File names a directory search picks up. */
const CAPTURE_NAME = /\.(pcap|pcapng|cap|dmp)(\.gz)?$/i;

export interface ExpandedInputs {
  files: string[];
  /** Arguments that named nothing: reported, not fatal. */
  missing: string[];
}

export function expandCaptureArgs(args: readonly string[]): ExpandedInputs {
  const files: string[] = [];
  const missing: string[] = [];
  const add = (list: string[]) => files.push(...list.sort());
  for (const arg of args) {
    let isDir = false;
    try {
      isDir = statSync(arg).isDirectory();
    } catch {
      if (isDynamicPattern(arg)) {
        const found = globSync(arg, { onlyFiles: true, absolute: false });
        if (found.length) add(found);
        else missing.push(arg);
        continue;
      }
      files.push(arg); // ingest reports it with the operating system's reason
      continue;
    }
    if (isDir) {
      const found = globSync('**/*', { cwd: arg, onlyFiles: true, absolute: true }).filter((f) => CAPTURE_NAME.test(f));
      if (found.length) add(found);
      else missing.push(arg);
    } else {
      files.push(arg);
    }
  }
  return { files, missing };
}

export interface RecentFile {
  path: string;
  /** Seconds since it was last modified. */
  age: number;
}

/**
 * Splits `files` into those last modified at least `minAgeSeconds` ago and
 * the more recent ones (captures still being written, left for a later
 * run). A file that cannot be looked at stays with the first, for the
 * ingest to report.
 */
export function settledFiles(files: readonly string[], minAgeSeconds: number, now = Date.now()): { settled: string[]; recent: RecentFile[] } {
  if (minAgeSeconds <= 0) return { settled: [...files], recent: [] }; // the default: no file to look at
  const settled: string[] = [];
  const recent: RecentFile[] = [];
  for (const path of files) {
    let age = Infinity;
    try {
      age = (now - statSync(path).mtimeMs) / 1000;
    } catch {
      // reported by the ingest
    }
    if (age < minAgeSeconds) recent.push({ path, age });
    else settled.push(path);
  }
  return { settled, recent };
}
