#!/bin/bash
# LVS-NAT reconciled by the agent (issue #3 item 8), IPv4. The director routes
# between a public and a private segment and maps VIP:80 to the real servers'
# :8080; the agent sets the VIP, the service and net.ipv4.ip_forward=1.
#
#   client 10.0.1.10 -- br0 -- 10.0.1.2 [director] 10.1.0.1 -- br1 -- rs1 10.1.0.11
#                       VIP 10.0.1.100/32 on eth0                 \-- rs2 10.1.0.12
# Foreign (hand-made) objects: IPVS service 10.0.1.200:8080 and address
# 10.0.1.201/32 on the director's eth0.
#   npm run agent:build && npm run lab -- lab/tests/nat.sh
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/lib-agent.sh"
VIP=10.0.1.100 VIP_CIDR=10.0.1.100/32 VIP_DEV=eth0
SVC=$VIP:80 SVC_SPEC="-t $VIP:80" FWD=-m
declare -A RS_IP=([rs1]=10.1.0.11 [rs2]=10.1.0.12)
declare -A RS_DEST=([rs1]=10.1.0.11:8080 [rs2]=10.1.0.12:8080)
URLS=(http://$VIP/) HELD_HOST=$VIP HELD_PORT=80

director_state() {
  local gen=$1 sched=$2 dests="" d
  for d in $3; do dests+="{\"address\":\"${RS_IP[${d%=*}]}\",\"port\":8080,\"forwarding\":\"nat\",\"weight\":${d#*=}},"; done
  write_desired "$WORK/director-$gen.json" <<JSON
{ "schemaVersion": 1, "generation": $gen, "host": "director",
  "ipvs": { "services": [ { "protocol": "tcp", "address": "$VIP", "port": 80,
                            "scheduler": "$sched", "destinations": [ ${dests%,} ] } ] },
  "addresses": [ { "interface": "${4:-eth0}", "address": "$VIP/32" } ],
  "realServer": null, "sysctls": { "net.ipv4.ip_forward": 1 }, "fwmarks": [] }
JSON
  echo "$WORK/director-$gen.json"
}

say "topology (wires only, real servers route via the director) and HTTP servers on :8080"
topo_nat 10.0.1 10.1.0
start_rs rs1 rs1 8080; start_rs rs2 rs2 8080
foreign_add_service director "-t 10.0.1.200:8080" 10.1.0.13:8080
foreign_add_address director eth0 10.0.1.201/32
foreign_snapshot director
wait_listen rs1 8080; wait_listen rs2 8080
check "before the agent: ip_forward is 0 on the director" test "$(nsx director sysctl -n net.ipv4.ip_forward)" = 0

agent_flow

say "NAT specifics"
check "the agent set net.ipv4.ip_forward=1 on the director" test "$(nsx director sysctl -n net.ipv4.ip_forward)" = 1
check "the client cannot reach the private net directly" sh -c "! ip netns exec client curl -s -m 2 http://10.1.0.11:8080/ > /dev/null"
wait_conns director $SVC 19 || true
outp=$(svc_stat director $SVC 5)
check "replies come back through the director (OutPkts=$outp)" test "${outp:-0}" -gt 0
finish
