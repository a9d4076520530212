#!/bin/bash
# LVS-DR reconciled by the agent (issue #3 item 8), IPv4.
#
#   client 10.0.0.10 --+
#   director 10.0.0.2 -+-- br0     agent on the director: VIP 10.0.0.100/32 on
#   rs1 10.0.0.11 -----+           eth0 + TCP 10.0.0.100:80 -> rs1, rs2 (-g)
#   rs2 10.0.0.12 -----+           agent on each real server: VIP on lo,
#                                  arp_ignore=1 / arp_announce=2 on lo and all
# Foreign (hand-made) objects: IPVS service 10.0.0.200:8080, addresses
# 10.0.0.201/32 on the director's eth0 and 10.0.0.202/32 on rs1's lo.
#   npm run agent:build && npm run lab -- lab/tests/dr.sh
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/lib-agent.sh"
VIP=10.0.0.100 VIP_CIDR=10.0.0.100/32 VIP_DEV=eth0
SVC=$VIP:80 SVC_SPEC="-t $VIP:80" FWD=-g
declare -A RS_IP=([rs1]=10.0.0.11 [rs2]=10.0.0.12)
declare -A RS_DEST=([rs1]=10.0.0.11:80 [rs2]=10.0.0.12:80)
URLS=(http://$VIP/) HELD_HOST=$VIP HELD_PORT=80

# director_state GEN SCHEDULER "rs1=W rs2=W ..." [IFACE] -> file path
director_state() {
  local gen=$1 sched=$2 dests="" d
  for d in $3; do dests+="{\"address\":\"${RS_IP[${d%=*}]}\",\"forwarding\":\"dr\",\"weight\":${d#*=}},"; done
  write_desired "$WORK/director-$gen.json" <<JSON
{ "schemaVersion": 1, "generation": $gen, "host": "director",
  "ipvs": { "services": [ { "protocol": "tcp", "address": "$VIP", "port": 80,
                            "scheduler": "$sched", "destinations": [ ${dests%,} ] } ] },
  "addresses": [ { "interface": "${4:-eth0}", "address": "$VIP/32" } ],
  "realServer": null, "sysctls": {}, "fwmarks": [] }
JSON
  echo "$WORK/director-$gen.json"
}
rs_state() {
  write_desired "$WORK/$1.json" <<JSON
{ "schemaVersion": 1, "generation": 1, "host": "$1",
  "ipvs": { "services": [] }, "addresses": [],
  "realServer": { "forwarding": "dr", "vips": [ "$VIP" ] }, "sysctls": {}, "fwmarks": [] }
JSON
  echo "$WORK/$1.json"
}

say "topology (wires only) and real-server HTTP servers"
topo_flat 10.0.0
start_rs rs1 rs1 80; start_rs rs2 rs2 80
foreign_add_service director "-t 10.0.0.200:8080" 10.0.0.13:8080
foreign_add_address director eth0 10.0.0.201/32
foreign_add_address rs1 lo 10.0.0.202/32
foreign_snapshot director rs1
wait_listen rs1 80; wait_listen rs2 80

say "agent on the real servers: VIP on lo + ARP sysctls"
rs_state rs1 > /dev/null; rs_state rs2 > /dev/null
rs_converge "rs1 rs2"
for rs in rs1 rs2; do
  check "$rs: VIP $VIP/32 on lo" sh -c "ip -n $rs -o addr show dev lo | grep -qF ' $VIP/32 '"
  check "$rs: arp_ignore=1 arp_announce=2 on lo and all" same "1 2 1 2" \
    "$(nsx $rs sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.lo.arp_ignore net.ipv4.conf.lo.arp_announce | paste -sd' ')"
done
check "rs1: foreign address on lo intact" foreign_intact

agent_flow

say "DR specifics"
dmac=$(ip -n director -br link show eth0 | awk '{print $3}')
check "the client's ARP entry for the VIP is the director's MAC (real servers stay silent)" \
  test "$(ip -n client neigh show $VIP | awk '{print $5}')" = "$dmac"

say "stats: status --json agrees with the kernel's counters"
wait_conns director $SVC 19 || true
sleep 2.2   # one more estimator tick so both readers see settled counters
kconns=$(svc_stat director $SVC 3)
agent director director status --json > "$WORK/status.json" || true
sconns=$(jq -r --arg a "$VIP" '.ipvs.services[] | select(.address == $a and .port == 80) | .conns' "$WORK/status.json")
check "status --json: service connections = ipvsadm --stats ($kconns)" test -n "$sconns" -a "$sconns" = "$kconns"

say "gen 5: the service and its VIP leave the desired state"
# the read-back lists a service that is gone: ipvsadm -R stops there, which the agent's ipvsadm session must take as "deleted"
write_desired "$WORK/director-5.json" <<JSON
{ "schemaVersion": 1, "generation": 5, "host": "director", "ipvs": { "services": [] },
  "addresses": [], "realServer": null, "sysctls": {}, "fwmarks": [] }
JSON
check "gen 5: apply exits 0 (every op applied and read back)" agent_apply director director "$WORK/director-5.json"
check "gen 5: a second plan is empty" plan_empty director director "$WORK/director-5.json"
check "gen 5: the agent's service is gone from the kernel" sh -c "! ip netns exec director ipvsadm -Sn | grep -qF -- '$SVC_SPEC '"
check "gen 5: the VIP is gone from $VIP_DEV" sh -c "! ip -n director -o addr show dev $VIP_DEV | grep -qF ' $VIP_CIDR '"
check "gen 5: foreign service and addresses intact" foreign_intact
finish
