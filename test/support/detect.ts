/** Running detectors over a capture file in tests. */
import { type Alert, Capture, type Detector, DetectionSession, type FileOptions } from '@mommynet/core';

/** Every alert of `detectors` (all of them when omitted) over the capture at `path`. */
export async function detectIn(path: string, detectors?: Detector[], options?: FileOptions): Promise<Alert[]> {
  const session = new DetectionSession(detectors ? { detectors } : {});
  for await (const batch of Capture.openFile(path, options)) session.observe(batch);
  return session.finish();
}
