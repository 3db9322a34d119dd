/**
 * What a module loads when imported: its static imports, followed through
 * our own files and workspace packages (dynamic `import()`s, which load
 * only when reached, are not followed). For tests that keep heavy packages
 * (Arrow, DuckDB, onnxruntime, the addon) out of code that must start fast.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative, resolve } from 'node:path';

import { REPO_ROOT } from './corpus.js';

export interface ImportGraph {
  /** Our own files reached (compiled JavaScript). */
  files: string[];
  /** Other packages imported, each as `name (from file)`. */
  packages: string[];
}

/** tsc erases type-only imports: what is left is what Node loads. */
const STATIC_IMPORT = /^(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gm;

export function importGraph(entry: string): ImportGraph {
  const files = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      if (spec!.startsWith('.')) walk(resolve(dirname(file), spec!));
      else if (spec!.startsWith('@mommynet/')) walk(createRequire(file).resolve(spec!));
      else if (!spec!.startsWith('node:')) packages.add(`${spec} (from ${relative(REPO_ROOT, file)})`);
    }
  };
  walk(entry);
  return { files: [...files], packages: [...packages].sort() };
}
