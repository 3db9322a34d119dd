#!/usr/bin/env bash
# The whole test suite: vitest (unit, corpus and end-to-end tests), then every
# edge-case capture through an AddressSanitizer/UBSan build of the pipeline.
# Ends with one "N passed, N failed, N skipped" line.
set -uo pipefail
cd "$(dirname "$0")/.."

mkdir -p .test-results
# The tests are TypeScript too: typecheck them (vitest only strips types).
pnpm exec tsc -p test/tsconfig.json
typecheck_status=$?

pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json "$@"
vitest_status=$?

scripts/sanitize-edge.sh
sanitize_status=$?

node -e '
  const r = require("./.test-results/vitest.json");
  const skipped = r.numPendingTests + r.numTodoTests;
  const extra = process.argv.slice(1).map(Number); // sanitizer and typecheck: one test each
  const failed = extra.filter((s) => s !== 0).length;
  console.log(`${r.numPassedTests + extra.length - failed} passed, ${r.numFailedTests + failed} failed, ${skipped} skipped`);
' "$sanitize_status" "$typecheck_status"

[[ $vitest_status -eq 0 && $sanitize_status -eq 0 && $typecheck_status -eq 0 ]]
