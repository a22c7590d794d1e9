#!/usr/bin/env bash
# `npm run lab -- <command>`: make sure the host and dependencies are there, then run the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/plain-output.sh
bash scripts/host-setup.sh >/dev/null
[ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null
exec node --import tsx lib/cli/main.ts "$@"
