/** Generated documentation is current. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { FLOW_COLUMNS } from '@mommynet/core';
import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from './support/corpus.js';

describe('docs/flows.md', () => {
  it('documents every flow column, as the generator writes it', () => {
    const path = join(REPO_ROOT, 'docs', 'flows.md');
    const committed = readFileSync(path, 'utf8');
    for (const c of FLOW_COLUMNS) expect(committed).toContain(`| \`${c.name}\` |`);
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'make-flow-doc.mjs')]);
    expect(readFileSync(path, 'utf8')).toBe(committed);
  });
});
