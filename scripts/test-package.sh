#!/usr/bin/env bash
# The package as a user gets it: packs the tarball (prepack builds dist/ and
# the prebuilt addon if stale), installs it into a fresh project with no
# compiler (CC and CXX are /bin/false), and there: require() and import() give
# one module instance and load the prebuilt addon (test/package/), a strict
# TypeScript consumer type-checks from ESM and CommonJS, the fleet API
# (placeDomain, planEvacuation, evacuate) and its schemas resolve, and the pmc
# command runs (check, place --help). --source-build also installs with npm's --build-from-source (needs
# libvirt-dev, libxml2-dev, a compiler; about a minute on 2 cores).
# Prints the install times. Leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
source_build=0
[ "${1:-}" = "--source-build" ] && source_build=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
say() { echo "package: $*"; }
fail() { echo "package: FAILED: $*" >&2; exit 1; }

say "npm pack"
tgz="$tmp/$(npm pack --silent --pack-destination "$tmp" | tail -n 1)"
listing=$(tar -tzf "$tgz")
grep -q '^package/prebuilds/linux-x64/libvirt-pmc.glibc.node$' <<<"$listing" || fail "no prebuilt addon in the tarball"
grep -q '^package/prebuilds/linux-x64/pmc_gate.so$' <<<"$listing" || fail "no prebuilt gate addon in the tarball"
if grep -E '\.map$|^package/(src|test|bench|build|docs/api)/' <<<"$listing"; then fail "the tarball holds files only a checkout can use (above)"; fi
# Test instrumentation stays in the checkout (package.json "files" leaves it out).
if grep -E '^package/dist/binding/call-log\.' <<<"$listing"; then fail "the tarball holds the tests' call log (above)"; fi

# A fresh project: npm init, the tarball, timed.
fresh() {
  mkdir -p "$1" && (cd "$1" && npm init -y >/dev/null)
}
install_into() { # dir, extra npm args…
  local dir=$1; shift
  local start=$SECONDS
  (cd "$dir" && npm install --no-audit --no-fund --prefer-offline --loglevel=error "$@" "$tgz" >/dev/null) || fail "npm install $* in $dir"
  echo $((SECONDS - start))
}

app="$tmp/app"
fresh "$app"
say "install without a compiler (CC=CXX=/bin/false)"
seconds=$(CC=/bin/false CXX=/bin/false install_into "$app")
say "installed in ${seconds} s with the prebuilt addon"

cp test/package/same-instance.cjs test/package/import-first.mjs test/package/consumer.mts test/package/consumer.cts "$app/"
(cd "$app" && node same-instance.cjs && node import-first.mjs) || fail "require()/import() in the installed package"

say "the fleet API and its schemas (ESM and CommonJS)"
(cd "$app" && node --input-type=module -e "
  import { placeDomain, planEvacuation, evacuate } from 'libvirt-pmc';
  import { createRequire } from 'node:module';
  const require = createRequire(import.meta.url);
  for (const [name, f] of Object.entries({ placeDomain, planEvacuation, evacuate }))
    if (typeof f !== 'function') throw new Error(name + ' is not exported');
  for (const schema of ['libvirt-pmc/place.schema.json', 'libvirt-pmc/evacuate.schema.json'])
    if (!JSON.stringify(require(schema)).includes('\"version\"')) throw new Error(schema + ' is not our schema');
  const cjs = require('libvirt-pmc');
  if (cjs.placeDomain !== placeDomain || cjs.evacuate !== evacuate) throw new Error('CommonJS and ESM differ');
") || fail "placeDomain, planEvacuation, evacuate, libvirt-pmc/place.schema.json, libvirt-pmc/evacuate.schema.json"

say "strict TypeScript consumer (ESM and CommonJS)"
cat >"$app/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "lib": ["es2023", "esnext.disposable"],
    "strict": true, "noUncheckedIndexedAccess": true, "exactOptionalPropertyTypes": true,
    "skipLibCheck": false, "noEmit": true,
    "typeRoots": ["$repo/node_modules/@types"], "types": ["node"]
  },
  "files": ["consumer.mts", "consumer.cts"]
}
JSON
(cd "$app" && node "$repo/node_modules/typescript/bin/tsc" -p tsconfig.json) || fail "the TypeScript consumer does not type-check"

say "the installed example"
(cd "$app" && node node_modules/libvirt-pmc/examples/show-hosts.mjs >/dev/null) || fail "examples/show-hosts.mjs from the installed package"

say "the example plugin compiles against libvirt-pmc/include"
inc=$(cd "$app" && node -p "require('libvirt-pmc/include').include_dir")
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -fsyntax-only -Wall -Werror -I"$inc" $(pkg-config --cflags libvirt) "$app/node_modules/libvirt-pmc/examples/plugins/site.c" ||
  fail "examples/plugins/site.c against $inc"

say "npx pmc"
version=$(cd "$app" && npx --no -- pmc --version)
[ "$version" = "$(node -p 'require("./package.json").version')" ] || fail "pmc --version said '$version'"
status=0
(cd "$app" && npx --no -- pmc -c test:///default check test test:///default >/dev/null) || status=$?
[ "$status" -eq 2 ] || fail "pmc check test:///default → test:///default exited $status, not 2 (blocked: same host)"
help=$(cd "$app" && npx --no -- pmc place --help) || fail "pmc place --help"
grep -q '^Usage: pmc place \[options\] <domain> <desturi...>' <<<"$help" || fail "pmc place --help printed no usage"
grep -q 'Exit codes: 0 some candidate allows it' <<<"$help" || fail "pmc place --help names no exit codes"

say "the destination gate from the installed package, run as libvirt runs it"
(cd "$app" && npx --no -- pmc hook install --hooks-dir "$tmp/hooks" --journal "$tmp/gate-journal" >/dev/null) ||
  fail "pmc hook install"
gate_xml="<domain><name>pkg</name><devices><serial type='pty'><log file='$tmp/none/x.log'/></serial></devices></domain>"
status=0
gate_err=$("$tmp/hooks/qemu.d/pmc-gate" pkg migrate begin - <<<"$gate_xml" 2>&1 >/dev/null) || status=$?
[ "$status" -eq 1 ] || fail "the installed gate exited $status, not 1 (refused)"
grep -q "serial 0 log: directory $tmp/none" <<<"$gate_err" || fail "the installed gate said: $gate_err"
(cd "$app" && npx --no -- pmc hook log --journal "$tmp/gate-journal") | grep -q '^1 decision' || fail "pmc hook log"
# The gate's process loads the gate's addon, and so no libvirt (the dynamic loader names every file it loads).
loaded_libs=$(LD_DEBUG=files "$tmp/hooks/qemu.d/pmc-gate" pkg migrate begin - <<<"$gate_xml" 2>&1 >/dev/null || true)
grep -q 'file=.*pmc_gate\.so' <<<"$loaded_libs" || fail "the installed gate did not load its own addon"
if grep -q 'file=libvirt\.so' <<<"$loaded_libs"; then fail "the installed gate loaded libvirt"; fi

if [ "$source_build" -eq 1 ]; then
  src_app="$tmp/app-source"
  fresh "$src_app"
  say "install with --build-from-source"
  seconds=$(install_into "$src_app" --build-from-source)
  say "installed in ${seconds} s with a source build"
  loaded=$(cd "$src_app" && node -e "
    require('libvirt-pmc');
    const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');
    console.log([...new Set(maps.split('\n').map((l) => l.split(/\s+/)[5] ?? '').filter((f) => f.endsWith('.node')))].join(' '));")
  [[ "$loaded" == */node_modules/libvirt-pmc/build/Release/pmc.node ]] || fail "the source build's addon was not the one loaded ($loaded)"
fi
say "ok"
