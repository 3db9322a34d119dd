/**
 * Detection settings from a JSON file, merged over DEFAULT_DETECTION: only
 * the settings to change need to be there. Anything unknown or of the wrong
 * type is refused before any capture is read, naming the file, the line and
 * the setting, so a typo never silently keeps a default.
 *
 * `networks` maps prefixes (one, or several separated by commas) to the
 * settings that differ there, merged over the file's own:
 *
 * ```json
 * { "portScan": { "minPorts": 30 },
 *   "networks": { "10.0.5.10": { "portScan": { "minPorts": 100000 } },
 *                 "192.168.100.0/24, 2001:db8:100::/48": { "bruteForce": { "minAttempts": 5 } } } }
 * ```
 *
 * @example
 * // detection.json: { "portScan": { "minPorts": 30 }, "threatIntel": { "lists": ["/etc/mommynet/drop.txt"] } }
 * const config = loadDetectionConfig('detection.json');
 * @module
 */
import { readFileSync } from 'node:fs';

import { parsePrefix } from '../net/address-set.js';
import { DEFAULT_DETECTION, type DetectionConfig, type DetectionSettings, GLOBAL_SETTINGS, type NetworkSettings } from './config.js';

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
  const { networks = {}, ...rest } = given as Record<string, unknown>;
  const { networks: _noNetworks, ...defaults } = DEFAULT_DETECTION;
  const { maxKeysPerDetector, lateFlowSeconds, ...base } = merge(defaults, rest, '', fail) as Omit<DetectionConfig, 'networks'>;
  return { ...base, maxKeysPerDetector, lateFlowSeconds, networks: parseNetworks(networks, base, fail) };
}

/** The `networks` object: prefixes checked, each network's settings merged over `base`. */
function parseNetworks(given: unknown, base: DetectionSettings, fail: (path: string, key: string, msg: string) => never): NetworkSettings[] {
  if (kind(given) !== 'object') fail('networks', 'networks', `must be an object of prefixes and their settings, not ${kind(given)}`);
  const networks: NetworkSettings[] = [];
  for (const [key, settings] of Object.entries(given as Record<string, unknown>)) {
    const at = `networks.${key}`;
    const prefixes = key.split(',').map((text) => {
      const prefix = parsePrefix(text.trim());
      if (!prefix) fail(at, key, `names '${text.trim()}', which is not an IP address or CIDR prefix`);
      return prefix!.text;
    });
    if (kind(settings) !== 'object') fail(at, key, `must be an object of settings, not ${kind(settings)}`);
    for (const global of GLOBAL_SETTINGS) {
      if (global in (settings as object)) fail(`${at}.${global}`, global, 'is the same for every network (set it at the top level)');
    }
    networks.push({ prefixes, config: merge(base, settings, at, fail) as DetectionSettings });
  }
  return networks;
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
