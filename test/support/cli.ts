/** Runs the real `mommy-forensics` binary, as a user would. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { REPO_ROOT } from './corpus.js';

export const CLI = join(REPO_ROOT, 'packages', 'cli', 'bin', 'mommy-forensics.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { input?: Buffer; cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    input: options.input,
    cwd: options.cwd ?? REPO_ROOT,
    maxBuffer: 1 << 28,
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
