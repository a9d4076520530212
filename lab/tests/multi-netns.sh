#!/bin/bash
# The agent on a host where ANOTHER network namespace also has IPVS services
# (containers, a second director instance, kube-proxy in IPVS mode).
# Kernel 6.1's /proc/net/ip_vs then skips entries of the reading namespace
# (its seq_file position counts the other namespace's services, its start()
# does not): with 1,000 services in each of two namespaces, each namespace's
# /proc/net/ip_vs lists about 515. The agent must still see all of its own
# services: apply exits 0, a second plan is empty, and one weight edit is one op.
# Not in the default run-all list while the agent reads /proc/net/ip_vs:
#   npm run agent:build && npm run lab -- lab/tests/run-all.sh multi-netns
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/lib-agent.sh"
N=${N:-400}

gen_desired() {   # gen_desired GEN WEIGHT_OF_SERVICE_0
  awk -v n="$N" -v gen="$1" -v w0="$2" 'BEGIN {
    printf "{\"schemaVersion\":1,\"generation\":%d,\"host\":\"a\",\"ipvs\":{\"services\":[", gen
    for (i = 0; i < n; i++)
      printf "%s{\"protocol\":\"tcp\",\"address\":\"10.100.%d.%d\",\"port\":80,\"scheduler\":\"wlc\",\"destinations\":[{\"address\":\"10.200.0.1\",\"port\":8080,\"forwarding\":\"nat\",\"weight\":%d}]}", (i ? "," : ""), int(i / 256), i % 256, (i ? 1 : w0)
    printf "]},\"addresses\":[],\"realServer\":null,\"sysctls\":{},\"fwmarks\":[]}\n" }'
}

say "namespace other: $N services made by hand; namespace a: the agent's $N"
mkns a other
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "-A -t 10.101.%d.%d:80 -s rr\n-a -t 10.101.%d.%d:80 -r 10.200.0.9:80 -m\n", int(i/256), i%256, int(i/256), i%256 }' | nsx other ipvsadm -R
gen_desired 1 1 > "$WORK/a-1.json"
check "apply of $N services exits 0" agent_apply a a "$WORK/a-1.json"
check "the kernel has all $N services" test "$(nsx a ipvsadm -Ln | grep -c '^TCP')" = "$N"
echo "(/proc/net/ip_vs in a lists $(nsx a cat /proc/net/ip_vs | grep -c '^TCP') of them)"
check "a second plan is empty" plan_empty a a "$WORK/a-1.json"
gen_desired 2 5 > "$WORK/a-2.json"
check "one weight edit plans exactly one op" test "$(plan_ops a a "$WORK/a-2.json")" = 1
check "and applies with exit 0" agent_apply a a "$WORK/a-2.json"
finish
