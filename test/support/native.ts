/** The addon, loaded as core loads it, for tests of its test-only exports. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const native = require('@mommynet/native') as typeof import('@mommynet/native');
