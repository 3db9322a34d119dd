/**
 * Capture options, their defaults and their checks. Every option is checked
 * here with a message that names it and its valid range; misspelled options
 * are refused rather than silently ignored.
 *
 * @example
 * import { resolveFileOptions } from '@mommynet/core';
 * resolveFileOptions({ udpIdleTimeout: 30 }); // fills in every default
 * @module
 */

export interface FlowOptions {
  /** Seconds a TCP flow may sit idle before it ends (`idle`). Default 300. */
  tcpIdleTimeout?: number;
  /** Seconds for UDP. Default 60. */
  udpIdleTimeout?: number;
  /** Seconds for ICMP and ICMPv6. Default 60. */
  icmpIdleTimeout?: number;
  /** Seconds for every other IP protocol. Default 60. */
  otherIdleTimeout?: number;
  /** Seconds a TCP connection stays open after both FINs or a RST, for late packets. Default 5. */
  tcpCloseTimeout?: number;
  /** Seconds after which a long flow emits an interim record (`active`). Default 1800. */
  activeTimeout?: number;
  /** Most flows held at once; beyond it the oldest idle flow is evicted. Default 1 000 000. */
  maxFlows?: number;
  /** Payload bytes kept from the start of each direction. Default 128. */
  payloadBytes?: number;
  /** Rows per Arrow batch. Default 16 384. */
  batchRows?: number;
  /** Batches waiting for JavaScript before capture waits (files) or drops (live). */
  queueDepth?: number;
}

export interface FileOptions extends FlowOptions {}

export interface LiveOptions extends FlowOptions {
  /** Interface name, as `ip link` shows it. Required. */
  interface: string;
  /** BPF filter in tcpdump syntax. Default: everything. */
  filter?: string;
  /** Bytes kept per packet. Default 262 144. */
  snaplen?: number;
  /** Promiscuous mode. Default true. */
  promisc?: boolean;
  /** Kernel ring buffer per worker, bytes. Default 32 MiB. */
  bufferSize?: number;
  /** Deliver packets at once instead of in blocks (libpcap then uses TPACKET_V2). Default false. */
  immediate?: boolean;
  /** Capture threads sharing the interface through PACKET_FANOUT. Default 1. */
  workers?: number;
  /** Seconds after which a partly filled batch is handed over. Default 1. */
  batchInterval?: number;
}

type NumberRule = { kind: 'number'; def: number; min: number; max: number; integer?: boolean };
type Rule = NumberRule | { kind: 'boolean'; def: boolean } | { kind: 'string'; def: string };

const YEAR = 365 * 86400;

const FLOW_RULES: Record<keyof FlowOptions, Rule> = {
  tcpIdleTimeout: { kind: 'number', def: 300, min: 0.001, max: YEAR },
  udpIdleTimeout: { kind: 'number', def: 60, min: 0.001, max: YEAR },
  icmpIdleTimeout: { kind: 'number', def: 60, min: 0.001, max: YEAR },
  otherIdleTimeout: { kind: 'number', def: 60, min: 0.001, max: YEAR },
  tcpCloseTimeout: { kind: 'number', def: 5, min: 0, max: YEAR },
  activeTimeout: { kind: 'number', def: 1800, min: 0.001, max: YEAR },
  maxFlows: { kind: 'number', def: 1_000_000, min: 1, max: 1e9, integer: true },
  payloadBytes: { kind: 'number', def: 128, min: 0, max: 65535, integer: true },
  batchRows: { kind: 'number', def: 16384, min: 1, max: 1 << 24, integer: true },
  queueDepth: { kind: 'number', def: 4, min: 1, max: 4096, integer: true },
};

const LIVE_RULES: Record<keyof LiveOptions, Rule> = {
  ...FLOW_RULES,
  queueDepth: { kind: 'number', def: 64, min: 1, max: 4096, integer: true },
  interface: { kind: 'string', def: '' },
  filter: { kind: 'string', def: '' },
  snaplen: { kind: 'number', def: 262144, min: 64, max: 262144, integer: true },
  promisc: { kind: 'boolean', def: true },
  bufferSize: { kind: 'number', def: 32 << 20, min: 1 << 16, max: 1 << 30, integer: true },
  immediate: { kind: 'boolean', def: false },
  workers: { kind: 'number', def: 1, min: 1, max: 64, integer: true },
  batchInterval: { kind: 'number', def: 1, min: 0.001, max: 3600 },
};

function closest(name: string, names: string[]): string | undefined {
  const lower = name.toLowerCase();
  return names.find((n) => n.toLowerCase() === lower) ?? names.find((n) => n.toLowerCase().startsWith(lower.slice(0, 4)));
}

function resolve<T extends object>(rules: Record<string, Rule>, options: object | undefined): Required<T> {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw new TypeError('options must be an object');
  const given = (options ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(key in rules)) {
      const hint = closest(key, Object.keys(rules));
      throw new TypeError(`unknown option '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(rules)) {
    const v = given[key];
    if (v === undefined) {
      out[key] = rule.def;
      continue;
    }
    if (typeof v !== rule.kind) throw new TypeError(`option '${key}' must be a ${rule.kind}, got ${typeof v}`);
    if (rule.kind === 'number') {
      const n = v as number;
      if (!Number.isFinite(n) || n < rule.min || n > rule.max || (rule.integer && !Number.isInteger(n)))
        throw new RangeError(
          `option '${key}' must be ${rule.integer ? 'an integer' : 'a number'} from ${rule.min} to ${rule.max}, got ${n}`,
        );
    }
    out[key] = v;
  }
  return out as Required<T>;
}

export function resolveFileOptions(options?: FileOptions): Required<FileOptions> {
  return resolve<FileOptions>(FLOW_RULES, options);
}

export function resolveLiveOptions(options: LiveOptions): Required<LiveOptions> {
  const resolved = resolve<LiveOptions>(LIVE_RULES, options);
  if (!resolved.interface) throw new TypeError("option 'interface' is required");
  return resolved;
}
