'use strict';
// Loads the compiled addon. MOMMYNET_NATIVE may point at another build (for
// example a sanitizer build) of the same addon.
const path = require('node:path');

module.exports = require(process.env.MOMMYNET_NATIVE || path.join(__dirname, 'build', 'Release', 'mommynet_native.node'));
