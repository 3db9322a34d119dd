/**
 * Progress on stderr while files are read: a bar redrawn in place on a
 * terminal (packets, MB/s, ETA), or a plain line every few seconds when
 * stderr is a file or a pipe, so logs stay readable.
 * @module
 */
import type { IngestProgress } from '@mommynet/core';

const PLAIN_EVERY_MS = 5000;
const TTY_EVERY_MS = 100;

function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export class ProgressReporter {
  readonly #tty: boolean;
  #lastDraw = 0;
  #drawn = false;

  constructor(
    readonly quiet: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.#tty = Boolean(stream.isTTY);
  }

  startFile(path: string, index: number, total: number): void {
    // A bar from the first update; plain lines from a few seconds into the file.
    this.#lastDraw = this.#tty ? -Infinity : performance.now();
    if (!this.quiet && !this.#tty) this.stream.write(`[${index + 1}/${total}] ${path}\n`);
  }

  update(p: IngestProgress): void {
    if (this.quiet) return;
    const now = performance.now();
    if (now - this.#lastDraw < (this.#tty ? TTY_EVERY_MS : PLAIN_EVERY_MS)) return;
    this.#lastDraw = now;
    // Of the file, not of the stream (a .gz file's stream is several times its size), and over the
    // time it has been read (a file read ahead began before its turn).
    const rate = p.fileBytesRead / Math.max(p.seconds, 1e-3);
    const fraction = p.size > 0 ? Math.min(1, p.fileBytesRead / p.size) : 0;
    const eta = fraction > 0 && fraction < 1 ? p.seconds * (1 / fraction - 1) : 0;
    const text = `${human(p.packets)} packets, ${human(p.flows)} flows, ${(rate / 1e6).toFixed(1)} MB/s, ETA ${duration(eta)}`;
    if (this.#tty) {
      const width = 24;
      const filled = Math.round(fraction * width);
      this.stream.write(`\r\x1b[K[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${text}`);
      this.#drawn = true;
    } else {
      this.stream.write(`  ${text}\n`);
    }
  }

  endFile(): void {
    if (this.#drawn) this.stream.write('\r\x1b[K');
    this.#drawn = false;
  }
}
