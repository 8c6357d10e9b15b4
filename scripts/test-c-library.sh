#!/usr/bin/env bash
# CI for the C library libvirt-pmc (docs/c-library.md), no Node involved:
# builds it with plain CMake (-DPMC_BUILD_ADDON=OFF), installs it into a
# temporary prefix, checks what is installed and what the .so exports, builds
# examples/c against the installed library only (pkg-config, no path into
# this checkout), and runs it against libvirt's test:///default: a check run
# (the test driver cannot migrate), its verdict and exit status asserted.
#   scripts/test-c-library.sh [BUILD-DIR]    (default build-c-library)
# PMC_C_PREFIX=DIR installs there and keeps it (the lab's test does, then runs
# BUILD-DIR/example/pmc-example against the lab's hosts).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${1:-build-c-library}
if [ -n "${PMC_C_PREFIX:-}" ]; then # kept, for test/e2e/c-library.test.ts
  prefix=$PMC_C_PREFIX
  rm -rf "$prefix"
  mkdir -p "$prefix"
else
  prefix=$(mktemp -d "${TMPDIR:-/tmp}/pmc-c-prefix.XXXXXX")
  trap 'rm -rf "$prefix"' EXIT
fi
fail() { echo "test-c-library: $*" >&2; exit 1; }
step() { echo "test-c-library: $*"; }

mkdir -p "$build"
log=$build/build.log # the compiler's output, shown on failure
step "configure, build and install into $prefix"
cmake -S . -B "$build/cmake" -DPMC_BUILD_ADDON=OFF -DCMAKE_BUILD_TYPE=Release >"$log" 2>&1 ||
  { cat "$log"; fail "cmake configure failed"; }
cmake --build "$build/cmake" -j 2 >>"$log" 2>&1 || { cat "$log"; fail "build failed"; }
cmake --install "$build/cmake" --prefix "$prefix" >>"$log" 2>&1 || { cat "$log"; fail "install failed"; }

libdir=$prefix/lib
version=$(sed -n 's/^set(PMC_LIB_VERSION \([0-9.]*\))$/\1/p' CMakeLists.txt)
for f in include/libvirt-pmc/pmc.h include/libvirt-pmc/pmc-plugin.h include/libvirt-pmc/pmc-external.h \
  include/libvirt-pmc/pmc-gate.h lib/libvirt-pmc.so.$version lib/libvirt-pmc.a lib/pkgconfig/libvirt-pmc.pc; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done
[ "$(readlink "$libdir/libvirt-pmc.so.1")" = "libvirt-pmc.so.$version" ] || fail "libvirt-pmc.so.1 is not a link to libvirt-pmc.so.$version"
[ "$(readlink "$libdir/libvirt-pmc.so")" = libvirt-pmc.so.1 ] || fail "libvirt-pmc.so is not a link to libvirt-pmc.so.1"
soname=$(objdump -p "$libdir/libvirt-pmc.so.$version" | awk '$1 == "SONAME" { print $2 }')
[ "$soname" = libvirt-pmc.so.1 ] || fail "SONAME is '$soname', not libvirt-pmc.so.1"

step "exports: exactly the functions of native/lib/libvirt-pmc.syms, each at its version node"
want=$(awk '/^VIR_PMC_[0-9.]* *\{/ { node = $1 } /^ *vir[A-Za-z0-9_]*;$/ { sub(/^ */, ""); sub(/;$/, ""); print $0 "@@" node }' \
  native/lib/libvirt-pmc.syms | sort)
grep -q "@@VIR_PMC_${version%.*}.0$" <<<"$want" ||
  fail "no function in libvirt-pmc.syms at the node of version $version (VIR_PMC_${version%.*}.0)"
have=$(nm -D --defined-only "$libdir/libvirt-pmc.so.$version" | awk '$2 == "T" { print $3 }' | sort)
others=$(nm -D --defined-only "$libdir/libvirt-pmc.so.$version" | awk '$2 != "T" && $3 !~ /^VIR_PMC_[0-9.]*$/ { print $3 }')
[ "$want" = "$have" ] || { diff <(echo "$want") <(echo "$have") >&2 || true; fail "exported functions differ from libvirt-pmc.syms"; }
[ -z "$others" ] || fail "exports more than functions: $others"
echo "  $(echo "$have" | wc -l) functions"

step "build examples/c with pkg-config alone"
export PKG_CONFIG_PATH=$libdir/pkgconfig
case "$(pkg-config --cflags --libs libvirt-pmc)" in *"$root"*) fail "pkg-config points into the checkout" ;; esac
out=$root/$build/example
mkdir -p "$out"

step "headers: <libvirt-pmc/…> with pkg-config --cflags alone, as <libvirt/libvirt.h>; the short names stay off the path"
# shellcheck disable=SC2046 # pkg-config's flags are words
for header in pmc.h pmc-plugin.h pmc-external.h; do
  printf '#include <libvirt-pmc/%s>\nint main(void) { return 0; }\n' "$header" >"$out/include-$header.c"
  cc -std=c99 -Wall -Wextra -Werror -fsyntax-only $(pkg-config --cflags libvirt-pmc) "$out/include-$header.c" ||
    fail "#include <libvirt-pmc/$header> does not compile with pkg-config --cflags libvirt-pmc"
  printf '#include <%s>\nint main(void) { return 0; }\n' "$header" >"$out/include-short-$header.c"
  ! cc -fsyntax-only $(pkg-config --cflags libvirt-pmc) "$out/include-short-$header.c" 2>/dev/null ||
    fail "#include <$header> compiles: pkg-config's -I points inside libvirt-pmc/"
done
printf '#include <libvirt-pmc/pmc-external.h>\nint main(void) { return 0; }\n' >"$out/include-c++.cc"
c++ -Wall -Wextra -Werror -fsyntax-only $(pkg-config --cflags libvirt-pmc) "$out/include-c++.cc" ||
  fail "#include <libvirt-pmc/pmc-external.h> does not compile as C++"
chmod 755 "$root/$build" "$out" # a plugin loaded as root must sit where only root can write
# PMC_WERROR=1 (CI): the example and the plugin without a warning too.
werror=()
[ "${PMC_WERROR:-}" = 1 ] && werror=(-Werror)
make -s -f examples/c/Makefile OUT="$out" CFLAGS="-O2 -Wall -Wextra ${werror[*]}" >>"$log" 2>&1 ||
  { cat "$log"; fail "the example does not build"; }
cp examples/c/checks.xml "$out/checks.xml"
# The shared library from the prefix, not from the build tree.
# (ldd's output captured first: `ldd | grep -q` under pipefail fails when grep
# stops reading early and ldd dies of SIGPIPE.)
linked=$(LD_LIBRARY_PATH=$libdir ldd "$out/pmc-example")
grep -q "libvirt-pmc.so.1 => $libdir/" <<<"$linked" ||
  fail "the example does not load libvirt-pmc from $libdir"
# And the static one: the same program with libvirt-pmc.a linked in.
cc -O2 -Wall -Wextra "${werror[@]}" -o "$out/pmc-example-static" examples/c/pmc-example.c $(pkg-config --cflags libvirt-pmc) \
  -Wl,-Bstatic -lvirt-pmc -Wl,-Bdynamic -L"$libdir" $(pkg-config --libs-only-other --libs-only-l --static libvirt-pmc | sed 's/-lvirt-pmc//') ||
  fail "the example does not link statically"

output=
run() { # expected-status expected-verdict program args...
  local want_status=$1 want_verdict=$2 status=0
  shift 2
  output=$(LD_LIBRARY_PATH=$libdir "$@" 2>&1) || status=$?
  echo "$output" | sed 's/^/  | /'
  [ "$status" = "$want_status" ] || fail "exit status $status, expected $want_status"
  grep -qx "verdict: $want_verdict" <<<"$output" || fail "no 'verdict: $want_verdict'"
  [ "$(echo "$output" | grep -cE '^(pass|fail|error|skipped) ')" = 6 ] || fail "not 6 checks reported"
}
args=(--check-only "$out/libsite.so" "$out/checks.xml" test test:///default test:///default)
# The test driver's host has 16 CPUs but only a few MiB free: every check
# passes but the XML warning on memory, which reads $dstFreeMemory.
step "check run on test:///default: allowed with warnings"
run 0 allowed-with-warnings "$out/pmc-example" "${args[@]}"
grep -qE '^fail +warning +example.memory ' <<<"$output" || fail "example.memory did not fail"
[ "$(echo "$output" | grep -cE '^pass ')" = 5 ] || fail "not 5 checks passed"
run 0 allowed-with-warnings "$out/pmc-example-static" "${args[@]}"
step "check run with the destination in maintenance (the plugin's check): blocked"
PMC_SITE_MAINTENANCE=$(hostname) run 2 blocked "$out/pmc-example" "${args[@]}"
grep -qE '^fail +critical +site.maintenance ' <<<"$output" || fail "site.maintenance did not fail"
step "a broken check file: exit 1, the reason names the file and line"
printf '<checks>\n<check name="bad" severity="critical"/>\n</checks>\n' >"$out/bad.xml"
status=0
output=$(LD_LIBRARY_PATH=$libdir "$out/pmc-example" --check-only "$out/libsite.so" "$out/bad.xml" test test:///default test:///default 2>&1) || status=$?
echo "$output" | sed 's/^/  | /'
[ "$status" = 1 ] || fail "exit status $status, expected 1"
grep -q "virPMCCheckListAddCheckFile: $out/bad.xml:2:" <<<"$output" || fail "the reason does not name $out/bad.xml:2"
step "ok"
