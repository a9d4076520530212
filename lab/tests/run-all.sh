#!/bin/bash
# Runs the lab tests one after another in ONE lab VM (each test builds its own
# namespaces and removes them on exit). Prints every check, one
# "PASS|FAIL <test> (<seconds> s)" line per test, and ends with
# "lab: N passed, M failed" (tests); exits non-zero if any test failed.
#   npm run agent:build && npm run lab -- lab/tests/run-all.sh [test...]
# Test names: the files of lab/tests without .sh (default: all of them).
D=$(cd "$(dirname "$0")" && pwd)
if [ "${LVSLAB_GUEST:-}" != 1 ]; then
  echo "run it inside the lab VM: npm run agent:build && npm run lab -- lab/tests/run-all.sh" >&2
  exit 3
fi
DEFAULT="lab-sanity dr nat tun fwmark dr-ipv6 health stats-stream"
LIST=${*:-$DEFAULT}
passed=0 failed=0 summary=""
T0=$(date +%s.%N)
for t in $LIST; do
  case "$t" in
    lab-sanity) script=$D/../scenarios/dr-ipvsadm.sh;;   # the lab itself, without the agent
    *) script=$D/$t.sh;;
  esac
  echo; echo "################ $t"
  t0=$(date +%s.%N)
  if [ -f "$script" ]; then bash "$script"; rc=$?; else echo "no such test: $script"; rc=127; fi
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  if [ $rc = 0 ]; then passed=$((passed + 1)); line="PASS $t ($secs s)"
  else failed=$((failed + 1)); line="FAIL $t ($secs s, exit $rc)"; fi
  echo "$line"; summary+="$line"$'\n'
done
echo; echo "################ summary"
printf '%s' "$summary"
echo "total $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s in the VM"
echo "lab: $passed passed, $failed failed"
[ $failed = 0 ]
