/**
 * Seeded draws for the simulator. Every part of a simulation (the normal
 * traffic, each attack) draws from its own stream, named after the part and
 * derived from the seed, so that adding or dropping an attack leaves the
 * rest of a capture made with the same seed unchanged.
 * @module
 */
import { seededRandom } from '../random.js';

/** FNV-1a over the UTF-16 code units of `text`, then mixed with `seed`. */
function streamSeed(seed: number, text: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const HEX = '0123456789abcdef';

export class Rng {
  readonly #next: () => number;

  private constructor(
    readonly seed: number,
    readonly name: string,
  ) {
    this.#next = seededRandom(streamSeed(seed, name));
  }

  /** The stream called `name` of `seed`. */
  static stream(seed: number, name: string): Rng {
    return new Rng(seed, name);
  }

  /** A stream of its own for a sub-part, independent of how much this one has drawn. */
  fork(name: string): Rng {
    return new Rng(this.seed, `${this.name}/${name}`);
  }

  /** Uniform in [a, b). */
  float(a: number, b: number): number {
    return a + (b - a) * this.#next();
  }

  /** Uniform integer in [a, b], both included. */
  int(a: number, b: number): number {
    return a + Math.floor((b - a + 1) * this.#next());
  }

  chance(p: number): boolean {
    return this.#next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(items.length * this.#next())]!;
  }

  /** A shuffled copy of `items` (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor((i + 1) * this.#next());
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** An item drawn with probability proportional to its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let x = this.#next() * total;
    for (const [item, w] of items) if ((x -= w) < 0) return item;
    return items[items.length - 1]![0];
  }

  /** Standard normal (Box-Muller). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.#next(); // (0, 1]: log(0) is -Infinity
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.#next());
  }

  /** Exponential with the given mean: the gaps of a Poisson process. */
  exp(mean: number): number {
    return -mean * Math.log(1 - this.#next());
  }

  /** Log-normal with the given median and shape: object sizes, think times. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(this.normal(0, sigma));
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.#next() * 256);
    return out;
  }

  /** `n` characters of `alphabet`. */
  text(n: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.#next() * alphabet.length)];
    return s;
  }

  hex(n: number): string {
    return this.text(n, HEX);
  }

  base32(n: number): string {
    return this.text(n, BASE32);
  }

  /** A client's ephemeral port (Linux's default range). */
  port(): number {
    return this.int(32768, 60999);
  }
}
