#!/usr/bin/env bash
# Installs what MommyNet needs and builds it. Safe to run again: every step
# checks first and does nothing when there is nothing to do.
#   scripts/setup.sh          build and runtime dependencies
#   scripts/setup.sh --test   also the tools the test suite compares against
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

packages=(libpcap-dev cmake g++ pkg-config zlib1g-dev libssl-dev)
if [[ "${1:-}" == "--test" ]]; then
  # tshark/tcpdump: reference decoders; tcpreplay, iproute2: live capture tests;
  # clang + compiler-rt: sanitizer and fuzz builds.
  packages+=(tshark tcpdump tcpreplay iproute2 clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v pnpm >/dev/null; then
  log 'installing pnpm'
  npm install -g pnpm >/dev/null 2>&1
fi

log 'installing node modules'
pnpm install --frozen-lockfile --reporter=silent

log 'building'
pnpm --silent build >/dev/null
log 'ready'
