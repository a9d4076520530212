#!/bin/bash
# Firewall-mark service reconciled by the agent (issue #3 item 8), IPv4, DR:
# ports 80 and 8080 of the VIP form ONE service, marked by a rule in the
# agent's own nftables table.
#
#   client 10.0.3.10, director 10.0.3.2 (VIP 10.0.3.100/32), rs1 .11, rs2 .12 on br0
# Foreign (hand-made) objects: IPVS service 10.0.3.200:8080, address
# 10.0.3.201/32 on the director's eth0, and an nft table "ip foreign" with a
# mark rule of its own.
#   npm run agent:build && npm run lab -- lab/tests/fwmark.sh
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/lib-agent.sh"
VIP=10.0.3.100 VIP_CIDR=10.0.3.100/32 VIP_DEV=eth0 MARK=7
SVC=$MARK SVC_SPEC="-f $MARK" FWD=-g
declare -A RS_IP=([rs1]=10.0.3.11 [rs2]=10.0.3.12)
declare -A RS_DEST=([rs1]=10.0.3.11:0 [rs2]=10.0.3.12:0)
URLS=(http://$VIP/ http://$VIP:8080/) HELD_HOST=$VIP HELD_PORT=8080

director_state() {
  local gen=$1 sched=$2 dests="" d
  for d in $3; do dests+="{\"address\":\"${RS_IP[${d%=*}]}\",\"forwarding\":\"dr\",\"weight\":${d#*=}},"; done
  write_desired "$WORK/director-$gen.json" <<JSON
{ "schemaVersion": 1, "generation": $gen, "host": "director",
  "ipvs": { "services": [ { "protocol": "fwmark", "fwmark": $MARK, "family": "ipv4",
                            "scheduler": "$sched", "destinations": [ ${dests%,} ] } ] },
  "addresses": [ { "interface": "${4:-eth0}", "address": "$VIP/32" } ],
  "realServer": null, "sysctls": {},
  "fwmarks": [ { "mark": $MARK, "family": "ipv4", "protocol": "tcp", "destination": "$VIP", "ports": [80, 8080] } ] }
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

say "topology (wires only), HTTP servers on 80 and 8080, a foreign nft table"
topo_flat 10.0.3
start_rs rs1 rs1 80 8080; start_rs rs2 rs2 80 8080
foreign_add_service director "-t 10.0.3.200:8080" 10.0.3.13:8080
foreign_add_address director eth0 10.0.3.201/32
nsx director nft -f - <<'NFT'
table ip foreign {
  chain pre { type filter hook prerouting priority mangle + 10; policy accept;
    ip daddr 10.0.3.200 tcp dport 9999 meta mark set 99
  }
}
NFT
FOREIGN_NFT=$(nsx director nft list table ip foreign)
foreign_snapshot director
wait_listen rs1 8080; wait_listen rs2 8080
rs_state rs1 > /dev/null; rs_state rs2 > /dev/null
rs_converge "rs1 rs2"

agent_flow

say "fwmark specifics"
check "the foreign nft table is untouched" same "$FOREIGN_NFT" "$(nsx director nft list table ip foreign)"
others=$(nsx director nft list tables | grep -v 'table ip foreign' || true)
echo "agent's nft tables: $others"
check "the agent's own nft table marks VIP ports 80 and 8080 with $MARK" \
  sh -c "ip netns exec director nft list ruleset | grep -E 'daddr $VIP' | grep -E '80' | grep -E '8080' | grep -qE 'mark set (0x0*$MARK|$MARK)'"
finish
