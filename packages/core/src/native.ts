/**
 * Loads the capture addon. It is a CommonJS module whose exports Node's ESM
 * loader cannot see statically, so it is required, with the types of its
 * declaration file.
 * @module
 */
import { createRequire } from 'node:module';

export type * from '@mommynet/native';

const require = createRequire(import.meta.url);

export const native = require('@mommynet/native') as typeof import('@mommynet/native');
