#!/usr/bin/env bash
# Builds mommy-replay with AddressSanitizer + UndefinedBehaviorSanitizer and
# runs it over the shared edge-case and sample captures, one process per file.
# Fails on any sanitizer report or unexpected exit status.
#
#   scripts/sanitize-edge.sh            corpus from ../shared (next to the repo)
#   MOMMYNET_SHARED=/path scripts/sanitize-edge.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
shared="${MOMMYNET_SHARED:-../shared}"
build="native/build-asan"

dirs=()
for d in "$shared/corpus/edge" "$shared/corpus/pcaps"; do
  if [[ -d "$d" ]]; then dirs+=("$d"); else echo "sanitize-edge: $d not found, skipped"; fi
done
if [[ ${#dirs[@]} -eq 0 ]]; then
  echo "sanitize-edge: SKIPPED, no corpus under $shared/corpus (set MOMMYNET_SHARED)"
  exit 0
fi

# Only mommy-replay is built, not the bench tools MOMMY_TOOLS also declares.
cmake -S native -B "$build" -DMOMMY_TOOLS=ON -DMOMMY_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target mommy-replay >/dev/null
replay="$build/mommy-replay"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for s in llvm-symbolizer llvm-symbolizer-14; do
  if command -v "$s" >/dev/null; then export ASAN_SYMBOLIZER_PATH="$(command -v "$s")"; break; fi
done

log="$build/sanitize-edge.jsonl"
: >"$log"
clean=0
failed=0
# Runs of 64 KB frames between small ones: the reader then refills its
# buffer while several frames it returned are still in use (the corpus has
# no records that large).
large="$build/large-records.pcap"
node --input-type=module -e "
  const { PcapWriter, udpFrame } = await import('./packages/core/dist/synth/index.js');
  const w = new PcapWriter();
  for (let i = 0; i < 3000; i++) {
    const payload = new Uint8Array(i % 100 >= 80 ? 65000 : 100 + (i % 300)).fill(i & 255);
    w.add(1700000000000000 + i * 10, udpFrame({ src: '10.0.' + (i >> 8) + '.' + (i & 255), dst: '192.0.2.1', srcPort: 40000, dstPort: 9, payload }));
  }
  (await import('node:fs')).writeFileSync('$large', w.toBuffer());
"

# The same, gzipped: read through the thread that inflates ahead of the reader.
gzip -c "$large" >"$large.gz"

files=("$large" "$large.gz")
for d in "${dirs[@]}"; do
  for f in "$d"/*; do
    [[ -f "$f" && "$f" != *.md ]] && files+=("$f")
  done
done

for f in "${files[@]}"; do
  err="$build/sanitize-edge.stderr"
  rc=0
  "$replay" "$f" >>"$log" 2>"$err" || rc=$?
  if [[ $rc -ne 0 ]] || grep -qE 'Sanitizer|runtime error:' "$err"; then
    echo "sanitize-edge: FAILED (exit $rc): $f" >&2
    sed -n '1,60p' "$err" >&2
    failed=$((failed + 1))
  else
    clean=$((clean + 1))
  fi
done

if [[ $failed -ne 0 ]]; then
  echo "sanitize-edge: $failed of $((clean + failed)) files FAILED (output in $log)"
  exit 1
fi
echo "sanitize-edge: $clean files clean (output in $log)"
