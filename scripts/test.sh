#!/usr/bin/env bash
# The whole test suite: vitest (unit, corpus and end-to-end tests), then every
# edge-case capture through an AddressSanitizer/UBSan build of the pipeline.
# Ends with one "N passed, N failed, N skipped" line.
set -uo pipefail
cd "$(dirname "$0")/.."

mkdir -p .test-results
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json "$@"
vitest_status=$?

scripts/sanitize-edge.sh
sanitize_status=$?

node -e '
  const r = require("./.test-results/vitest.json");
  const skipped = r.numPendingTests + r.numTodoTests;
  const sanitizeFailed = Number(process.argv[1]) !== 0 ? 1 : 0;
  console.log(`${r.numPassedTests + (sanitizeFailed ? 0 : 1)} passed, ${r.numFailedTests + sanitizeFailed} failed, ${skipped} skipped`);
' "$sanitize_status"

[[ $vitest_status -eq 0 && $sanitize_status -eq 0 ]]
