#!/usr/bin/env bash
# Installs everything libvirt-pmc needs on Debian/Ubuntu, then builds it.
# Idempotent: what is already there is left alone. Needs root or sudo for apt.
# Quiet: one line per step; the steps' output (apt, npm, the compiler) goes to
# build-setup.log, shown when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

log=build-setup.log
: >"$log"
# step WHAT CMD…: says WHAT, runs CMD into the log; on failure shows the log's end.
step() {
  local what=$1
  shift
  echo "setup: $what"
  if ! "$@" >>"$log" 2>&1; then
    echo "setup: failed: $what. Its output (all of it in $log):" >&2
    tail -n 80 "$log" >&2
    exit 1
  fi
}

APT_PACKAGES=(
  build-essential pkg-config python3 cmake
  libvirt-dev libxml2-dev libxml2-utils
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  qemu-system-x86 qemu-utils
  util-linux mount hostname procps iproute2 passwd openssl sasl2-bin
  libcap2-bin tini
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Split out of libvirt-daemon after libvirt 9.0 (Debian 12 ships it inside
# libvirt-daemon): wanted only where apt knows it.
if apt-cache show libvirt-daemon-driver-storage-core >/dev/null 2>&1; then
  APT_PACKAGES+=(libvirt-daemon-driver-storage-core)
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  step "apt-get update" as_root apt-get update -qq
  step "installing ${missing[*]}" as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v node >/dev/null || { echo "setup: Node.js 20.19+ or 22.12+ is needed (https://nodejs.org)" >&2; exit 1; }

# npm ci also builds the TypeScript (prepare script) and, unless a prebuilt
# addon is there, the native addon (install script: node-gyp-build).
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  step "npm ci (packages, the TypeScript; the first native build takes about a minute)" npm ci --no-audit --no-fund
else
  step "compiling the TypeScript, bundling the pmc command" npm run --silent build:ts
fi

# The checkout runs its own build (build/Release), never a prebuild: compile
# what is missing or older than its sources.
# binding.gyp globs the sources, so a source file added or removed since the
# Makefile was written needs a full rebuild (node-gyp build would miss it).
addon=build/Release/pmc.node
sources=$(find native -name '*.c' -o -name '*.cc' | sort)
if [ ! -f "$addon" ] || [ -n "$(find native binding.gyp -newer "$addon" -print -quit)" ]; then
  if [ -f build/Makefile ] && [ ! binding.gyp -nt build/Makefile ] && [ "$sources" = "$(cat build/sources.list 2>/dev/null)" ]; then
    step "compiling the native addon (changed files)" npx node-gyp build -j 2
  else
    step "compiling the native addon (about a minute)" npx node-gyp rebuild -j 2
  fi
  printf '%s\n' "$sources" >build/sources.list
fi
