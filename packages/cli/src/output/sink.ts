/**
 * Where command output goes: standard output or a file, with back-pressure,
 * and a quiet end when the reader of a pipe goes away (`| head`).
 * @module
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

import { CliError, EXIT } from '../exit-codes.js';

export class TextSink {
  #stream: Writable;
  #closed = false;
  /** Set when the reader went away: producers should stop. */
  gone = false;

  constructor(path?: string) {
    this.#stream = path && path !== '-' ? createWriteStream(path) : process.stdout;
    this.#stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.gone = true;
      else this.error = err;
    });
  }

  error?: Error;

  async write(text: string): Promise<void> {
    if (this.gone || text === '') return;
    if (this.error) throw new CliError(`cannot write output: ${this.error.message}`, EXIT.output);
    if (!this.#stream.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#stream.off('drain', done);
          this.#stream.off('error', done);
          this.#stream.off('close', done);
          resolve();
        };
        this.#stream.on('drain', done).on('error', done).on('close', done);
      });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#stream !== process.stdout) {
      await new Promise<void>((resolve) => this.#stream.end(resolve));
    }
    if (this.error) throw new CliError(`cannot write output: ${this.error.message}`, EXIT.output);
  }
}
