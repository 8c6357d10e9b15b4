#!/usr/bin/env bash
# Builds the prebuilt addons the package ships: prebuilds/<platform>-<arch>/
# libvirt-pmc.<glibc|musl>.node, one Node-API build for every Node of the
# engines range (prebuildify, loaded by node-gyp-build), and beside it the
# gate's addon pmc_gate.so, built by the same node-gyp run (binding.gyp's
# pmc_gate; src/binding/native.ts loads it). prebuildify rebuilds build/ and
# moves the addon out of it; a copy goes back to build/Release so that the
# checkout keeps its usual build. Quiet: the compiler's output goes to
# build-prebuild.log, shown on failure.
# --if-stale: do nothing when the prebuild is newer than every native source
# (what `npm pack` runs, through prepack).
set -euo pipefail
cd "$(dirname "$0")/.."

dir="prebuilds/$(node -p 'process.platform + "-" + process.arch')"
if [ "${1:-}" = "--if-stale" ] && compgen -G "$dir/*.node" >/dev/null; then
  prebuild=$(ls -t "$dir"/*.node | head -n 1)
  if [ -z "$(find native binding.gyp -newer "$prebuild" -print -quit)" ]; then
    exit 0
  fi
fi

log=build-prebuild.log
echo "prebuild: compiling the addon into $dir (log: $log)"
rm -rf "$dir"
if ! JOBS="${JOBS:-2}" npx prebuildify --napi --strip --tag-libc >"$log" 2>&1; then
  cat "$log" >&2
  echo "prebuild: failed (log above, also in $log)" >&2
  exit 1
fi
mkdir -p build/Release
cp "$dir"/*.node build/Release/pmc.node
# Stripped as prebuildify --strip strips the addon (--strip-all keeps the dynamic symbols).
strip --strip-all -o "$dir/pmc_gate.so" build/Release/pmc_gate.so
ls "$dir"
