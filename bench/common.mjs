/**
 * Shared by the benchmark scripts: loading core, describing the machine,
 * timing commands as processes of their own, and printing aligned tables.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { REPO } from './make-capture.mjs';

export async function loadCore() {
  try {
    return await import('@mommynet/core');
  } catch {
    // The root package does not depend on core; use the built package directly.
    return import(pathToFileURL(path.join(REPO, 'packages', 'core', 'dist', 'index.js')).href);
  }
}

export function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    // not Linux: os.cpus() is what we have
  }
  let commit = 'unknown';
  try {
    const git = (...args) =>
      execFileSync('git', ['--no-optional-locks', '-C', REPO, ...args], { encoding: 'utf8' }).trim();
    commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'native/src');
    if (dirty) commit += ' (native/src modified)';
  } catch {
    // not a git checkout
  }
  return {
    cpu,
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    commit,
  };
}

export const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
export const fmtPct = (r) => `${(r * 100).toFixed(1)} %`;

export function table(headers, rows, align) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => (align[i] === 'r' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}


export const log = (m) => process.stderr.write(`[bench] ${m}\n`);

/** Removes a DuckDB file and its log. */
export const removeDb = (p) => ['', '.wal'].forEach((s) => fs.rmSync(p + s, { force: true }));

/** The smallest of `runs` results of `fn` (the run the rest of the machine disturbed least). */
export async function best(runs, fn) {
  let fastest = Infinity;
  for (let r = 0; r < runs; r++) fastest = Math.min(fastest, await fn());
  return fastest;
}

/**
 * `--name value` options over `defaults` (numbers stay numbers, `_` allowed
 * in them; `out` is a directory). A lone `--`, which `pnpm bench:x -- ...`
 * passes on, is skipped; anything unknown is an error listing what is known.
 */
export function parseOptions(argv, defaults) {
  const o = { ...defaults };
  const known = Object.keys(defaults).map((k) => `--${k}`);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') continue;
    if (argv[i] === '--help' || argv[i] === '-h') {
      console.log(`usage: node ${path.relative(process.cwd(), process.argv[1])} ${Object.keys(defaults).map((k) => `[--${k} ${k === 'out' ? 'DIR' : 'N'}]`).join(' ')}`);
      process.exit(0);
    }
    const key = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !(key in defaults)) throw new Error(`unknown argument ${argv[i]} (${known.join(', ')})`);
    const value = argv[++i];
    if (value === undefined) throw new Error(`${argv[i - 1]} needs a value`);
    if (typeof defaults[key] === 'number') {
      const n = Number(value.replace(/_/g, ''));
      if (!Number.isFinite(n) || n < 1) throw new RangeError(`${argv[i - 1]} needs a positive number, got ${value}`);
      o[key] = n;
    } else o[key] = key === 'out' ? path.resolve(value) : value;
  }
  return o;
}

/**
 * Wall seconds of one Node process running `args`, and what it wrote to
 * stdout (discarded unless `keepStdout`); fails loudly when it fails.
 */
export function nodeProcess(args, { keepStdout = false } = {}) {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 20 });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return { seconds, stdout: r.stdout };
}

/**
 * Each case (`[name, args]`) as a process of its own, the cases taking turns
 * run after run so that the machine's changing load falls on all alike: the
 * best time of each, and all of them.
 */
export function timeInTurns(cases, runs, onRun = () => {}) {
  const best = cases.map(() => Infinity);
  const all = cases.map(() => []);
  for (let r = 0; r < runs; r++) {
    onRun(r);
    cases.forEach(([, args], i) => {
      const { seconds } = nodeProcess(args);
      all[i].push(seconds);
      best[i] = Math.min(best[i], seconds);
    });
  }
  return { best, all };
}
