#!/usr/bin/env bash
# clang-format over the native sources: C++ in the style of .clang-format,
# C in libvirt's (native/pmc/.clang-format). `--fix` rewrites the files.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(--dry-run -Werror)
[ "${1:-}" = "--fix" ] && mode=(-i)
# native/lib/pmc-external.h and pmc-gate.h are public C headers: libvirt's style, like pmc.h.
mapfile -t cxx < <(git ls-files 'native/*.cc' 'native/*.h' 'test/native/*.cc' | grep -v -e '^native/pmc/' -e '^native/lib/pmc-external.h$' -e '^native/lib/pmc-gate.h$')
mapfile -t c < <(git ls-files 'native/pmc/*.c' 'native/pmc/*.h' 'native/lib/pmc-external.h' 'native/lib/pmc-gate.h' 'test/native/*.c' 'test/fixtures/plugins/*.c' 'examples/*.c' 'bench/*.c')
clang-format "${mode[@]}" "${cxx[@]}"
clang-format "${mode[@]}" --style=file:native/pmc/.clang-format "${c[@]}"
