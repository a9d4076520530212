#!/bin/bash
# The real agent against the real panel, in the lab VM's root namespace (the
# panel runs on the host; the VM reaches it only at 10.0.2.100:3000). Driven
# by the host side, lab/panel-agent-smoke.mjs, which starts the panel, makes
# the enrollment token, applies a revision and repairs drift through the API:
#
#   npm run agent:build && node lab/panel-agent-smoke.mjs
#
# Here: enroll (credential mode 0600; the used token is refused the second
# time and nothing is written), start `lvs-agent run`, wait for the panel's
# revision to reach the kernel (ipvsadm -Ln), delete a destination behind the
# agent's back and wait for the panel's repair to put it back (the agent alone
# must NOT repair it), stop the agent: the kernel keeps its state.
set -u
if [ "${LVSLAB_GUEST:-}" != 1 ] || [ -z "${LVSLAB_PANEL_URL:-}" ] || [ -z "${LVS_SMOKE_TOKEN:-}" ]; then
  echo "run it through the host driver: node lab/panel-agent-smoke.mjs" >&2
  exit 3
fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d)
SHARE=${LVSLAB_SHARE:-/share}
PASSES=0 FAILS=0
ok() { echo "PASS: $*"; PASSES=$((PASSES + 1)); }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
agent() { node "$ROOT/agent/dist/lvs-agent.cjs" "$@"; }
# wait_for SECONDS CMD... : polls CMD every 0.5 s
wait_for() { local end=$(($(date +%s) + $1)); shift; until "$@"; do [ "$(date +%s)" -lt $end ] || return 1; sleep 0.5; done; }
dests() { ipvsadm -Ln -t 192.0.2.10:80 2>/dev/null | grep -c -- '->.*Route'; }
has_dests() { [ "$(dests)" = "$1" ]; }
AGENT_PID=
cleanup() { [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT

echo "=== panel at $LVSLAB_PANEL_URL"
ip link add lvs0 type dummy && ip link set lvs0 up   # the director's VIP interface

echo "=== enroll"
if agent enroll --panel "$LVSLAB_PANEL_URL" --token "$LVS_SMOKE_TOKEN" --hostname lb1 --config-dir "$W/etc" > "$W/enroll.out" 2>&1; then
  sed 's/^/    /' "$W/enroll.out"; ok "enroll exits 0"
else
  sed 's/^/    /' "$W/enroll.out"; bad "enroll failed"
fi
mode=$(stat -c %a "$W/etc/credential.json" 2>/dev/null)
[ "$mode" = 600 ] && ok "credential.json has mode 600" || bad "credential.json mode is '$mode'"
grep -q lvsh_ "$W/enroll.out" && bad "enroll printed the credential" || ok "enroll did not print the credential"
rc=0; agent enroll --panel "$LVSLAB_PANEL_URL" --token "$LVS_SMOKE_TOKEN" --config-dir "$W/etc2" > "$W/enroll2.out" 2>&1 || rc=$?
sed 's/^/    /' "$W/enroll2.out"
[ $rc = 2 ] && [ ! -e "$W/etc2" ] && grep -q "refused the token" "$W/enroll2.out" && ok "the used token is refused: exit 2, nothing written" || bad "second enroll: rc $rc"

echo "=== run (panel mode)"
agent run --config-dir "$W/etc" --state-dir "$W/state" > "$SHARE/agent.log" 2>&1 &
AGENT_PID=$!
echo "agent pid $AGENT_PID; waiting for the panel's revision to reach the kernel"
if wait_for 240 has_dests 2; then ok "the panel's revision reached the kernel"; else bad "no service with 2 destinations within 240 s"; fi
ipvsadm -Ln
ip -o addr show dev lvs0
ip -o addr show dev lvs0 | grep -q '192.0.2.10/32' && ok "VIP 192.0.2.10/32 on lvs0" || bad "VIP missing on lvs0"

echo "=== out-of-band change: ipvsadm -d -t 192.0.2.10:80 -r 10.0.0.12:80"
ipvsadm -d -t 192.0.2.10:80 -r 10.0.0.12:80
# the agent reports the drift every 5 s but must not repair it by itself; the host driver repairs through the panel
sleep 7
if grep -q '"event":"panel-report","kind":"periodic".*"drift":1,' "$SHARE/agent.log"; then ok "the agent reported the drift"; else bad "no periodic drift report in the agent log"; fi
echo "drift-made" > "$SHARE/drift-made"
if wait_for 120 has_dests 2; then ok "the panel's repair restored the destination"; else bad "the destination did not come back within 120 s"; fi
ipvsadm -Ln
grep -q '"source":"repair"' "$SHARE/agent.log" && ok "the restore was a repair reconcile" || bad "no repair reconcile in the agent log"

echo "=== stop the agent: the kernel keeps its state"
before=$(ipvsadm -Sn)
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; AGENT_PID=
[ "$(ipvsadm -Sn)" = "$before" ] && ok "IPVS table unchanged after SIGTERM" || bad "IPVS table changed on stop"

echo "lab: $PASSES passed, $FAILS failed"
[ $FAILS = 0 ]
