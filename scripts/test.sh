#!/usr/bin/env bash
# `npm test`: everything the tests need is installed here (CI runs this on a clean checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/host-setup.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsc --noEmit
exec npx vitest run "$@"
