#!/bin/bash
# Agent apply speed against the practical limit, `ipvsadm -R` loading the same
# rules, in the same lab VM and the same run (issue #3, Measure):
#   - cold apply of N virtual services x 2 real servers (N = 1,000 and 10,000):
#     the agent CLI one-shot (`apply --desired FILE`: node start, validation,
#     kernel read, plan, ipvsadm -R batch, read back + verify) vs `ipvsadm -R`
#     of the identical rule set, each in its own fresh network namespace;
#   - ONE change (a weight edit) with 10,000 services present: the CLI one-shot,
#     and the daemon's in-process path when the agent exposes it (see below).
# Targets: agent/ipvsadm-R <= 1.5 cold, one change <= 100 ms.
#   npm run agent:build && npm run lab -- bench/agent-apply.sh
# SIZES="1000" and REPEAT=N (one-change repetitions) override the defaults.
. "$(dirname "$0")/../lab/scenarios/lib.sh"
need_agent
SIZES=${SIZES:-"1000 10000"}
REPEAT=${REPEAT:-5}
B=$WORK
TIMEFORMAT=%R

# gen_rules N : the ipvsadm -R input (what an admin's script would load)
gen_rules() {
  awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) {
      v = sprintf("10.%d.%d.%d:80", 100 + int(i / 65536), int(i / 256) % 256, i % 256)
      printf "-A -t %s -s wlc\n-a -t %s -r 10.200.0.1:8080 -m -w 1\n-a -t %s -r 10.200.0.2:8080 -m -w 1\n", v, v, v } }'
}
# gen_desired N GEN ["I1 I2 ..."] : the same rules as a desired state; the
# services I1, I2, ... get weight 2 on their first real server
gen_desired() {
  awk -v n="$1" -v gen="$2" -v list="${3:-}" 'BEGIN {
    split(list, l, " "); for (k in l) changed[l[k]] = 1
    printf "{\"schemaVersion\":1,\"generation\":%d,\"host\":\"bench\",\"ipvs\":{\"services\":[", gen
    for (i = 0; i < n; i++) {
      a = sprintf("10.%d.%d.%d", 100 + int(i / 65536), int(i / 256) % 256, i % 256)
      printf "%s{\"protocol\":\"tcp\",\"address\":\"%s\",\"port\":80,\"scheduler\":\"wlc\",\"destinations\":[" \
        "{\"address\":\"10.200.0.1\",\"port\":8080,\"forwarding\":\"nat\",\"weight\":%d}," \
        "{\"address\":\"10.200.0.2\",\"port\":8080,\"forwarding\":\"nat\",\"weight\":1}]}", \
        (i ? "," : ""), a, ((i "") in changed ? 2 : 1)
    }
    printf "]},\"addresses\":[],\"realServer\":null,\"sysctls\":{},\"fwmarks\":[]}\n" }'
}
# secs CMD... : wall seconds of one command; its output goes to $B/last.out/.err,
# a non-zero exit is reported (and counted as a failure) but does not stop the bench
secs() {
  local rc=0 t
  t=$( { time "$@" > "$B/last.out" 2> "$B/last.err"; } 2>&1 ) || rc=$?
  if [ $rc != 0 ]; then
    bad "'$*' exited $rc" >&2
    { grep -v '^ok ' "$B/last.out" | head -15; tail -5 "$B/last.err"; } | sed 's/^/    /' >&2
  fi
  echo "${t##*$'\n'}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; }
ms() { awk -v a="$1" 'BEGIN{printf "%.0f", a * 1000}'; }

echo "lab VM: $(nproc) vCPU, $(awk '/MemTotal/{printf "%d MiB", $2/1024}' /proc/meminfo), kernel $(uname -r)"
echo "agent: $AGENT_BUNDLE ($(du -k "$AGENT_BUNDLE" | cut -f1) KiB)"
printf '\n%-8s | %-14s | %-14s | %-22s | %s\n' services "ipvsadm -R" "agent apply" "agent / ipvsadm -R" "tables equal"
declare -A COLD=()
for n in $SIZES; do
  gen_rules "$n" > "$B/rules.$n"
  gen_desired "$n" 1 > "$B/desired.$n.json"
  # one namespace with IPVS services at a time: /proc/net/ip_vs skips entries
  # while another namespace has services (6.1: the seq_file position counts the
  # other namespace's entries), which would corrupt the agent's basic read
  mkns "ref$n"
  tr=$(secs nsx "ref$n" ipvsadm -R < "$B/rules.$n")
  ipvs_rules "ref$n" > "$B/ref.$n.rules"
  ip netns del "ref$n"; sleep 3   # the kernel tears a namespace down asynchronously
  mkns "agent$n"
  mkdir -p "$(state_dir "agent$n")"
  ta=$(secs nsx "agent$n" node "$AGENT_BUNDLE" apply --desired "$B/desired.$n.json" --state-dir "$(state_dir "agent$n")")
  if cmp -s "$B/ref.$n.rules" <(ipvs_rules "agent$n"); then eq=yes; else eq=NO; bad "$n: the agent's table differs from ipvsadm -R's"; fi
  COLD[$n]=$(ratio "$ta" "$tr")
  printf '%-8s | %12ss | %12ss | %20sx | %s\n' "$n" "$tr" "$ta" "${COLD[$n]}" "$eq"
  [ "$n" = "$(echo $SIZES | awk '{print $NF}')" ] || ip netns del "agent$n"; sleep 3
done

N=$(echo $SIZES | awk '{print $NF}')
NS=agent$N SD=$(state_dir "agent$N")
echo
echo "one change (weight of one real server) with $N services present, $REPEAT times:"
best_cli="" changed=""
for ((r = 1; r <= REPEAT; r++)); do
  changed+=" $((r * 97 % N))"     # one more service edited each time: exactly one op per apply
  gen_desired "$N" $((r + 1)) "$changed" > "$B/change.json"
  t=$(secs nsx "$NS" node "$AGENT_BUNDLE" apply --desired "$B/change.json" --state-dir "$SD")
  echo "  CLI one-shot apply #$r: $(ms "$t") ms ($(grep -c '^ok ' "$B/last.out") op)"
  best_cli=$(awk -v a="$t" -v b="${best_cli:-999}" 'BEGIN{print (a < b ? a : b)}')
done
want=$(gen_rules "$N" | awk -v list="$changed" 'BEGIN {split(list, l, " "); for (k in l) c[l[k] * 3 + 2] = 1}
  (NR in c) {sub(/-w 1$/, "-w 2")} {print}' | sort)
check "after the last change the kernel holds exactly the desired $N services" cmp -s <(echo "$want") <(ipvs_rules "$NS")
t1=$(secs nsx "$NS" ipvsadm -e -t 10.100.0.0:80 -r 10.200.0.2:8080 -m -w 3)
echo "  reference: one 'ipvsadm -e' process: $(ms "$t1") ms"
echo "  reference: 'node -e 0' start-up: $(ms "$(secs node -e 0)") ms"

INPROC=$REPO_DIR/bench/agent-change.cjs
if [ -f "$REPO_DIR/agent/dist/lvs-agent-lib.cjs" ]; then
  echo
  echo "in-process (daemon path: warm cached actual state, then one weight edit), $REPEAT times:"
  nsx "$NS" node "$INPROC" "$B/change.json" "$SD" "$REPEAT" | tee "$B/inproc.txt"
fi

echo
echo "summary:"
for n in $SIZES; do
  echo "  cold $n x 2: agent / ipvsadm -R = ${COLD[$n]}x (target <= 1.5)"
done
echo "  one change with $N present, CLI one-shot (best of $REPEAT): $(ms "$best_cli") ms (target <= 100 ms)"
[ -f "$B/inproc.txt" ] && grep 'best of' "$B/inproc.txt" | sed 's/^/  /' && grep -q UNEXPECTED "$B/inproc.txt" && bad "in-process change was not exactly one successful op"
finish
