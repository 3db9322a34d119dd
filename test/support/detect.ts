/** Running detectors over a capture file in tests, and finding corpus files by name. */
import { type Alert, Capture, type Detector, DetectionSession, type FileOptions } from '@mommynet/core';

import { CORPUS_PCAPS, corpusFiles } from './corpus.js';

/** Every alert of `detectors` (all of them when omitted) over the capture at `path`. */
export async function detectIn(path: string, detectors?: Detector[], options?: FileOptions): Promise<Alert[]> {
  const session = new DetectionSession(detectors ? { detectors } : {});
  for await (const batch of Capture.openFile(path, options)) session.observe(batch);
  return session.finish();
}

/** A corpus capture by file name, or undefined when this corpus lacks it. */
export const corpusCapture = (name: string) => corpusFiles(CORPUS_PCAPS).find((f) => f.endsWith(name));
