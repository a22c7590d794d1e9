#!/usr/bin/env bash
# `npm test`: everything the tests need is installed here (CI runs this on a clean checkout).
# Phases run one after another so that only one lab of VMs runs at a time.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/plain-output.sh
bash scripts/host-setup.sh || exit 3
[ -d node_modules ] || npm ci --no-audit --no-fund || exit 3
npx tsc --noEmit || exit 1

rm -rf reports/allure-results reports/junit-*.xml
rc=0
broken_phases=0
phase_times=()
run() { # name, vitest args…
  local name=$1; shift
  echo "== $name"
  # Wall time, and the guest CPU of the labs this run started (sampled while their QEMUs run).
  local t0=$SECONDS cpu_file meter cpu
  cpu_file=$(mktemp)
  node --import tsx tests/support/guest-cpu.ts $$ "$cpu_file" 2>/dev/null &
  meter=$!
  DRBDLAB_JUNIT="reports/junit-$name.xml" npx vitest run "$@" || { rc=1; broken_phases=$((broken_phases + 1)); }
  kill -TERM "$meter" 2>/dev/null; wait "$meter" 2>/dev/null
  local wall=$((SECONDS - t0))
  cpu=$(cat "$cpu_file"); rm -f "$cpu_file"
  phase_times+=("$name $wall s${cpu:+ (guest CPU $cpu s)}")
  echo "== $name: $wall s wall${cpu:+, guest CPU $cpu s}"
}
if [ $# -gt 0 ]; then
  # The scenarios' global setup says the profile if these arguments run real scenarios.
  npx vitest run "$@"; exit $?
fi
# Which profile the real scenarios run on and why, chosen once: said first and last, as the
# nightly says it, and handed to the scenarios phase, which runs that choice (the other phases'
# tests name their profiles themselves).
choice_file=$(mktemp)
trap 'rm -f "$choice_file"' EXIT
profile_line=$(npx tsx scripts/test-profile.ts "$choice_file") || exit $?
echo "$profile_line"
run fast --project unit --project replay
run lab --project integration
run lifecycle --project lifecycle
DRBDLAB_PROFILE_CHOICE=$(cat "$choice_file") run scenarios --project scenarios

# Closing lines for humans and CI: each phase's time, then totals over every phase's JUnit file.
line=phases: sep=' '
for p in "${phase_times[@]}"; do line+="$sep$p"; sep=', '; done
echo "$line"
BROKEN_PHASES=$broken_phases node -e '
const fs = require("fs");
let t = 0, f = 0, s = 0;
for (const file of fs.readdirSync("reports").filter((x) => /^junit-.*\.xml$/.test(x))) {
  const x = fs.readFileSync("reports/" + file, "utf8");
  const m = /<testsuites[^>]*tests="(\d+)"[^>]*failures="(\d+)"[^>]*errors="(\d+)"/.exec(x);
  if (m) { t += +m[1]; f += +m[2] + +m[3]; }
  s += (x.match(/<skipped/g) || []).length;
}
// A phase that failed without a failed test (a lab that never came up) still counts as one.
const failed = f > 0 ? f : Number(process.env.BROKEN_PHASES);
console.log(`${t - f - s} passed, ${failed} failed, ${s} skipped`);
'
echo "$profile_line"
exit $rc
