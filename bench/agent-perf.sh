#!/bin/bash
# Agent performance, before/after in ONE lab VM run (the machine is shared and
# its load changes between runs): each agent bundle given in AGENTS ("label:
# path-to-lvs-agent.cjs", default the repo's build) against `ipvsadm -R` of the
# same rules measured in the same run (and, for scale, the same rules split by
# service over one concurrent `ipvsadm -R` per vCPU, as the agent loads them):
#   - cold apply of N services x 2 real servers / ipvsadm -R: CLI one-shot
#     (node start-up and bundle load included), and the whole document pushed
#     to a running daemon (bench/agent-perf-change.cjs with REPEAT=0);
#   - one weight change with N present: CLI one-shot, and the daemon path
#     in-process (bench/agent-perf-change.cjs with the bundle's library:
#     Daemon.setDesired, as `lvs-agent run` gets a panel push);
#   - start-up: `BUNDLE --help` vs `node -e 0`.
# One namespace with IPVS services at a time (see docs/lab.md, pitfall 13).
# COLD_REPEAT (default 3, sizes below the largest), CLI_REPEAT (2), REPEAT (5).
#   npm run agent:build && npm run lab -- bench/agent-perf.sh
#   npm run lab -- -e AGENTS="old:/tmp/old/agent/dist/lvs-agent.cjs new:agent/dist/lvs-agent.cjs" -e SIZES="1000 10000" bench/agent-perf.sh
. "$(dirname "$0")/../lab/scenarios/lib.sh"
SIZES=${SIZES:-"1000 10000"}
REPEAT=${REPEAT:-5}
AGENTS=${AGENTS:-"repo:$AGENT_BUNDLE"}
B=$WORK
TIMEFORMAT=%R

gen_rules() {
  awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) {
      v = sprintf("10.%d.%d.%d:80", 100 + int(i / 65536), int(i / 256) % 256, i % 256)
      printf "-A -t %s -s wlc\n-a -t %s -r 10.200.0.1:8080 -m -w 1\n-a -t %s -r 10.200.0.2:8080 -m -w 1\n", v, v, v } }'
}
# gen_desired N GEN WEIGHT_OF_SERVICE_0's_SECOND_SERVER
gen_desired() {
  awk -v n="$1" -v gen="$2" -v w="${3:-1}" 'BEGIN {
    printf "{\"schemaVersion\":1,\"generation\":%d,\"host\":\"bench\",\"ipvs\":{\"services\":[", gen
    for (i = 0; i < n; i++) {
      a = sprintf("10.%d.%d.%d", 100 + int(i / 65536), int(i / 256) % 256, i % 256)
      printf "%s{\"protocol\":\"tcp\",\"address\":\"%s\",\"port\":80,\"scheduler\":\"wlc\",\"destinations\":[" \
        "{\"address\":\"10.200.0.1\",\"port\":8080,\"forwarding\":\"nat\",\"weight\":1}," \
        "{\"address\":\"10.200.0.2\",\"port\":8080,\"forwarding\":\"nat\",\"weight\":%d}]}", (i ? "," : ""), a, (i == 0 ? w : 1)
    }
    printf "]},\"addresses\":[],\"realServer\":null,\"sysctls\":{},\"fwmarks\":[]}\n" }'
}
secs() {
  local rc=0 t
  t=$( { time "$@" > "$B/last.out" 2> "$B/last.err"; } 2>&1 ) || rc=$?
  [ $rc = 0 ] || { echo "FAIL: '$*' exited $rc"; tail -5 "$B/last.err" | sed 's/^/    /'; } >&2
  echo "${t##*$'\n'}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; }
ms() { awk -v a="$1" 'BEGIN{printf "%.0f", a * 1000}'; }

echo "lab VM: $(nproc) vCPU, kernel $(uname -r); host load when started: ${LVSLAB_HOST_LOAD:-unknown}"
echo "start-up: node -e 0 $(ms "$(secs node -e 0)") ms"
for a in $AGENTS; do echo "  ${a%%:*} --help: $(ms "$(secs node "${a#*:}" --help)") ms"; done
LAST=$(echo $SIZES | awk '{print $NF}')
for n in $SIZES; do
  gen_rules "$n" > "$B/rules.$n"
  gen_desired "$n" 1 > "$B/desired.$n.json"
  # small sizes are repeated (best of COLD_REPEAT, bundles alternating) to see through the shared machine's noise
  reps=$([ "$n" = "$LAST" ] && echo 1 || echo "${COLD_REPEAT:-3}")
  declare -A best=() bestd=(); tr_best=999999 ts_best=999999
  for ((rep = 1; rep <= reps; rep++)); do
    mkns ref; tr=$(secs nsx ref ipvsadm -R < "$B/rules.$n"); ipvs_rules ref > "$B/ref.rules"; ip netns del ref; sleep 3
    tr_best=$(awk -v a="$tr" -v b="$tr_best" 'BEGIN{print (a < b ? a : b)}')
    # for scale: the same rules split by service over one `ipvsadm -R` per vCPU, as the agent loads big batches
    rm -f "$B"/part.*; awk -v k="$(nproc)" -v d="$B" '/^-A/{s++} {print > (d "/part." (s % k))}' "$B/rules.$n"
    mkns split; ts=$(secs bash -c "for f in $B/part.*; do ip netns exec split ipvsadm -R < \$f & done; wait")
    cmp -s "$B/ref.rules" <(ipvs_rules split) || bad "split ipvsadm -R $n: table differs from ipvsadm -R's"
    ip netns del split; sleep 3
    ts_best=$(awk -v a="$ts" -v b="${ts_best:-999999}" 'BEGIN{print (a < b ? a : b)}')
    for a in $AGENTS; do
      label=${a%%:*} bundle=${a#*:} sd=$B/state-$label-$n
      # the cold apply pushed to a running daemon (the panel's path): no node start-up or bundle load.
      # First, alone: /proc/net/ip_vs under-reports while another namespace holds services (docs/lab.md, pitfall 13)
      rm -rf "$sd.daemon"; mkdir -p "$sd.daemon"; mkns "c$n"
      LIB=$(cd "$(dirname "$bundle")" && pwd)/lvs-agent-lib.cjs nsx "c$n" node "$REPO_DIR/bench/agent-perf-change.cjs" "$B/desired.$n.json" "$sd.daemon" 0 > "$B/daemon-cold.out" 2>&1 || { cat "$B/daemon-cold.out"; bad "$label daemon cold $n"; }
      cmp -s "$B/ref.rules" <(ipvs_rules "c$n") || bad "$label daemon $n: table differs from ipvsadm -R's"
      td=$(sed -n 's/^first push[^:]*: \([0-9]*\) ms.*/\1/p' "$B/daemon-cold.out" | awk '{printf "%.3f", $1 / 1000}')
      echo "  cold $n #$rep: $label daemon push ${td}s"
      ip netns del "c$n"; sleep 3
      bestd[$label]=$(awk -v a="$td" -v b="${bestd[$label]:-999999}" 'BEGIN{print (a < b ? a : b)}')
      rm -rf "$sd"; mkdir -p "$sd"; mkns "a$n"
      ta=$(secs nsx "a$n" node "$bundle" apply --desired "$B/desired.$n.json" --state-dir "$sd")
      cmp -s "$B/ref.rules" <(ipvs_rules "a$n") || bad "$label $n: table differs from ipvsadm -R's"
      echo "  cold $n #$rep: ipvsadm -R ${tr}s, $(nproc) x ipvsadm -R ${ts}s, $label CLI ${ta}s"
      best[$label]=$(awk -v a="$ta" -v b="${best[$label]:-999999}" 'BEGIN{print (a < b ? a : b)}')
      if [ "$n" = "$LAST" ]; then
        bestc=999
        for ((r = 1; r <= ${CLI_REPEAT:-2}; r++)); do
          gen_desired "$n" $((r + 1)) $((r + 1)) > "$B/change.json"
          t=$(secs nsx "a$n" node "$bundle" apply --desired "$B/change.json" --state-dir "$sd")
          bestc=$(awk -v a="$t" -v b="$bestc" 'BEGIN{print (a < b ? a : b)}')
        done
        echo "  $label: one change with $n present, CLI one-shot (best of ${CLI_REPEAT:-2}): $(ms "$bestc") ms"
        LIB=$(cd "$(dirname "$bundle")" && pwd)/lvs-agent-lib.cjs nsx "a$n" node "$REPO_DIR/bench/agent-perf-change.cjs" "$B/change.json" "$sd" "$REPEAT" > "$B/daemon.out" 2>&1 || bad "$label daemon bench"
        sed 's/^/    /' "$B/daemon.out"
      fi
      ip netns del "a$n"; sleep 3
    done
  done
  echo "cold $n x 2 (best of $reps): ipvsadm -R ${tr_best}s ($(nproc) concurrent ipvsadm -R: ${ts_best}s)"
  for a in $AGENTS; do
    l=${a%%:*}
    echo "  $l CLI one-shot: ${best[$l]}s = $(ratio "${best[$l]}" "$tr_best")x ipvsadm -R"
    echo "  $l daemon push:  ${bestd[$l]}s = $(ratio "${bestd[$l]}" "$tr_best")x ipvsadm -R"
  done
done
finish
