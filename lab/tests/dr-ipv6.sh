#!/bin/bash
# LVS-DR over IPv6 reconciled by the agent (issue #3 item 8).
#
#   client 2001:db8:4::10, director ::2 (VIP 2001:db8:4::100/128 on eth0),
#   rs1 ::11, rs2 ::12 on br0 (documentation prefix, inside the VM only);
#   the agent on each real server puts the VIP on lo (/128).
# Foreign (hand-made) objects: IPVS service [2001:db8:4::200]:8080, address
# 2001:db8:4::201/128 on the director's eth0.
#   npm run agent:build && npm run lab -- lab/tests/dr-ipv6.sh
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/lib-agent.sh"
P=2001:db8:4:
VIP=${P}:100 VIP_CIDR=${P}:100/128 VIP_DEV=eth0
SVC="[$VIP]:80" SVC_SPEC="-t [$VIP]:80" FWD=-g
declare -A RS_IP=([rs1]=${P}:11 [rs2]=${P}:12)
declare -A RS_DEST=([rs1]="[${P}:11]:80" [rs2]="[${P}:12]:80")
URLS=("http://[$VIP]/") HELD_HOST=$VIP HELD_PORT=80

director_state() {
  local gen=$1 sched=$2 dests="" d
  for d in $3; do dests+="{\"address\":\"${RS_IP[${d%=*}]}\",\"forwarding\":\"dr\",\"weight\":${d#*=}},"; done
  write_desired "$WORK/director-$gen.json" <<JSON
{ "schemaVersion": 1, "generation": $gen, "host": "director",
  "ipvs": { "services": [ { "protocol": "tcp", "address": "$VIP", "port": 80,
                            "scheduler": "$sched", "destinations": [ ${dests%,} ] } ] },
  "addresses": [ { "interface": "${4:-eth0}", "address": "$VIP/128" } ],
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

say "topology (IPv6 wires only) and real-server HTTP servers"
topo_flat 10.0.4 "${P}:"
start_rs rs1 rs1 80; start_rs rs2 rs2 80
foreign_add_service director "-t [${P}:200]:8080" "[${P}:13]:8080"
foreign_add_address director eth0 "${P}:201/128"
foreign_snapshot director
wait_listen rs1 80; wait_listen rs2 80

say "agent on the real servers: IPv6 VIP on lo"
rs_state rs1 > /dev/null; rs_state rs2 > /dev/null
rs_converge "rs1 rs2"
for rs in rs1 rs2; do
  check "$rs: VIP $VIP/128 on lo" sh -c "ip -n $rs -o addr show dev lo | grep -qF ' $VIP/128 '"
done

agent_flow
finish
