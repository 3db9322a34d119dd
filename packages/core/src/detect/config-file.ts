/**
 * Detection settings from a JSON file, merged over DEFAULT_DETECTION: only
 * the settings to change need to be there. Anything unknown or of the wrong
 * type is refused before any capture is read, naming the file, the line and
 * the setting, so a typo never silently keeps a default.
 *
 * @example
 * // detection.json: { "portScan": { "minPorts": 30 }, "threatIntel": { "lists": ["/etc/mommynet/drop.txt"] } }
 * const config = loadDetectionConfig('detection.json');
 * @module
 */
import { readFileSync } from 'node:fs';

import { DEFAULT_DETECTION, type DetectionConfig } from './config.js';

export class DetectionConfigError extends Error {
  override readonly name = 'DetectionConfigError';
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, Math.max(0, offset)).split('\n').length;
}

/** The line where `"key"` first appears at or after `from`, for messages. */
function lineOfKey(text: string, key: string): number {
  const at = text.indexOf(JSON.stringify(key));
  return at < 0 ? 1 : lineOf(text, at);
}

function kind(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

function merge(defaults: unknown, given: unknown, path: string, fail: (path: string, key: string, msg: string) => never): unknown {
  if (kind(defaults) !== kind(given)) fail(path, path.split('.').pop()!, `must be ${kind(defaults) === 'object' ? 'an object' : `a ${kind(defaults)}`}, not ${kind(given)}`);
  if (Array.isArray(defaults)) {
    const sample = (defaults as unknown[])[0];
    for (const item of given as unknown[])
      if (sample !== undefined && kind(item) !== kind(sample)) fail(path, path.split('.').pop()!, `items must be ${kind(sample)}s`);
    return given;
  }
  if (kind(defaults) !== 'object') return given;
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(given as Record<string, unknown>)) {
    const at = path ? `${path}.${key}` : key;
    if (!(key in out)) fail(at, key, `is not a setting (known here: ${Object.keys(out).join(', ')})`);
    out[key] = merge(out[key], value, at, fail);
  }
  return out;
}

export function parseDetectionConfig(text: string, file: string): DetectionConfig {
  let given: unknown;
  try {
    given = JSON.parse(text);
  } catch (err) {
    const position = /position (\d+)/.exec((err as Error).message);
    const line = position ? `:${lineOf(text, Number(position[1]))}` : '';
    throw new DetectionConfigError(`${file}${line}: not valid JSON (${(err as Error).message})`);
  }
  const fail = (path: string, key: string, msg: string): never => {
    throw new DetectionConfigError(`${file}:${lineOfKey(text, key)}: ${path} ${msg}`);
  };
  if (kind(given) !== 'object') throw new DetectionConfigError(`${file}:1: must hold one JSON object`);
  return merge(DEFAULT_DETECTION, given, '', fail) as DetectionConfig;
}

export function loadDetectionConfig(file: string): DetectionConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DetectionConfigError(`cannot read detection config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseDetectionConfig(text, file);
}
