#!/usr/bin/env bash
# The README's main-job command: sets up (see setup.sh), then runs the demo:
# `pmc demo` brings the two-host lab up, migrates with the checks, shows a
# blocked migration, and brings the lab down again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/cli/main.js demo "$@"
