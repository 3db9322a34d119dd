#!/usr/bin/env bash
# Builds the libFuzzer harness (native/fuzz/fuzz_capture.cc) with clang,
# ASan and UBSan, seeds a corpus and fuzzes for SECONDS (default 60).
# Exits 1 when the fuzzer found a crash, leak or timeout. Not run in CI.
#
#   scripts/fuzz.sh [SECONDS]
#   MOMMYNET_SHARED=/path scripts/fuzz.sh 600
set -euo pipefail

secs="${1:-60}"
if ! [[ "$secs" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]" >&2
  exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
shared="${MOMMYNET_SHARED:-../shared}"
build="native/build-fuzz"
corpus="native/fuzz/corpus-run"
artifacts="$build/artifacts"

# -fsanitize=fuzzer-no-link gives mommy_core the coverage instrumentation that
# guides libFuzzer; the harness target itself adds -fsanitize=fuzzer.
CC=clang CXX=clang++ cmake -S native -B "$build" -DMOMMY_FUZZ=ON -DMOMMY_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
cmake --build "$build" -j2 --target fuzz-capture >/dev/null

mkdir -p "$corpus" "$artifacts"
if [[ -d "$shared/corpus/edge" ]]; then
  for f in "$shared/corpus/edge"/*; do
    [[ -f "$f" && "$f" != *.md ]] || continue
    head -c 65536 "$f" >"$corpus/edge_$(basename "$f")"
  done
else
  echo "fuzz: $shared/corpus/edge not found, using generated seeds only"
fi

# Generated seeds: one TCP SYN as pcap, as pcapng, and as single frames
# (first byte 0xE0 + link-type index, 0x10 = cut by snaplen; see
# fuzz_capture.cc). Written as printf escapes.
ip4='\x45\x00\x00\x28\x00\x01\x00\x00\x40\x06\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02'
tcp='\x30\x39\x00\x50\x00\x00\x00\x00\x00\x00\x00\x00\x50\x02\xff\xff\x00\x00\x00\x00'
eth='\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa\x08\x00'"$ip4$tcp"  # 54 bytes
pcap_hdr='\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00'
pcap_rec='\x01\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x36\x00\x00\x00'
shb='\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a\x01\x00\x00\x00'
shb+='\xff\xff\xff\xff\xff\xff\xff\xff\x1c\x00\x00\x00'
idb='\x01\x00\x00\x00\x14\x00\x00\x00\x01\x00\x00\x00\x00\x00\x04\x00\x14\x00\x00\x00'
epb='\x06\x00\x00\x00\x58\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00'
epb+='\x36\x00\x00\x00\x36\x00\x00\x00'"$eth"'\x00\x00\x58\x00\x00\x00'
printf "$pcap_hdr$pcap_rec$eth" >"$corpus/gen_pcap"
printf "$shb$idb$epb" >"$corpus/gen_pcapng"
printf '\xe0'"$eth" >"$corpus/gen_frame_ethernet"
printf '\xe3'"$ip4$tcp" >"$corpus/gen_frame_raw"
printf '\xe4\x02\x00\x00\x00'"$ip4$tcp" >"$corpus/gen_frame_null"
printf '\xf8'"$ip4$tcp" >"$corpus/gen_frame_ipv4_cut"

echo "fuzz: $(find "$corpus" -type f | wc -l) inputs in $corpus, fuzzing for ${secs}s"
log="$build/fuzz.log"
rc=0
"$build/fuzz-capture" -max_len=65536 -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || rc=$?

found="$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
  -o -name 'oom-*' \) | wc -l)"
execs="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)"
if [[ $rc -ne 0 || $found -ne 0 ]]; then
  grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20 || true
  echo "fuzz: FOUND A PROBLEM (exit $rc, $found artifacts in $artifacts, log $log)"
  echo "fuzz: reproduce with $build/fuzz-capture ARTIFACT"
  exit 1
fi
echo "fuzz: no crashes in ${secs}s, ${runs:-?} runs, ${execs:-?} exec/s, ${cov:-cov ?} (log $log)"
