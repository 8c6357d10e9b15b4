#!/usr/bin/env bash
# The README's test command: sets up (see setup.sh), then runs every test:
# the unit project first, then the lab's e2e project on its own, so that the
# CPU-heavy unit tests do not slow the lab's migrations under the tests that
# race them (an abort during a migration). Arguments go to one vitest run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "$#" -gt 0 ]; then exec npx vitest run "$@"; fi
npx vitest run --project unit
exec npx vitest run --project e2e
