#!/usr/bin/env bash
# The README's main-job command: sets up (see setup.sh), then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node examples/show-hosts.mjs "$@"
