#!/usr/bin/env bash
# Installs everything libvirt-pmc needs on Debian/Ubuntu, then builds it.
# Idempotent: what is already there is left alone. Needs root or sudo for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential pkg-config python3 cmake
  libvirt-dev libxml2-dev libxml2-utils
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  qemu-system-x86 qemu-utils
  util-linux mount hostname procps iproute2 passwd
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
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v node >/dev/null || { echo "setup: Node.js 20.17 or later is needed (https://nodejs.org)" >&2; exit 1; }

# npm ci also builds the addon (install script) and the TypeScript (prepare script).
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ ! -f build/Release/pmc.node ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
else
  # Rebuild what changed since the last build.
  if [ -n "$(find native binding.gyp -newer build/Release/pmc.node -print -quit)" ]; then
    echo "setup: rebuilding the native addon"
    npx node-gyp rebuild >/dev/null
  fi
  npx tsc -p tsconfig.build.json
fi
