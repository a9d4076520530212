#!/bin/bash
# LVS-TUN reconciled by the agent (issue #3 item 8), IPv4. The director
# encapsulates to the real servers (IP-in-IP); the agent on each real server
# puts the VIP on tunl0 with rp_filter=0 and the ARP sysctls.
#
#   client 10.0.2.10, director 10.0.2.2 (VIP 10.0.2.100/32 on eth0), rs1 .11, rs2 .12 on br0
# Foreign (hand-made) objects: IPVS service 10.0.2.200:8080, addresses
# 10.0.2.201/32 on the director's eth0 and 10.0.2.202/32 on rs1's lo.
#   npm run agent:build && npm run lab -- lab/tests/tun.sh
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/lib-agent.sh"
VIP=10.0.2.100 VIP_CIDR=10.0.2.100/32 VIP_DEV=eth0
SVC=$VIP:80 SVC_SPEC="-t $VIP:80" FWD=-i DEST_SUFFIX=" --tun-type ipip"
declare -A RS_IP=([rs1]=10.0.2.11 [rs2]=10.0.2.12)
declare -A RS_DEST=([rs1]=10.0.2.11:80 [rs2]=10.0.2.12:80)
URLS=(http://$VIP/) HELD_HOST=$VIP HELD_PORT=80

director_state() {
  local gen=$1 sched=$2 dests="" d
  for d in $3; do dests+="{\"address\":\"${RS_IP[${d%=*}]}\",\"forwarding\":\"tun\",\"weight\":${d#*=}},"; done
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
  "realServer": { "forwarding": "tun", "vips": [ "$VIP" ] }, "sysctls": {}, "fwmarks": [] }
JSON
  echo "$WORK/$1.json"
}

say "topology (wires only) and real-server HTTP servers"
topo_flat 10.0.2
start_rs rs1 rs1 80; start_rs rs2 rs2 80
foreign_add_service director "-t 10.0.2.200:8080" 10.0.2.13:8080
foreign_add_address director eth0 10.0.2.201/32
foreign_add_address rs1 lo 10.0.2.202/32
foreign_snapshot director rs1
wait_listen rs1 80; wait_listen rs2 80

say "agent on the real servers: ipip tunl0 with the VIP, rp_filter=0, ARP sysctls"
rs_state rs1 > /dev/null; rs_state rs2 > /dev/null
rs_converge "rs1 rs2"
for rs in rs1 rs2; do
  check "$rs: tunl0 is up and holds $VIP/32" sh -c "ip -n $rs -o addr show dev tunl0 | grep -qF ' $VIP/32 ' && ip -n $rs link show tunl0 | grep -q ',UP'"
  check "$rs: rp_filter=0 on tunl0 and all" same "0 0" \
    "$(nsx $rs sysctl -n net.ipv4.conf.tunl0.rp_filter net.ipv4.conf.all.rp_filter | paste -sd' ')"
  check "$rs: arp_ignore=1 arp_announce=2 on lo and all" same "1 2 1 2" \
    "$(nsx $rs sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.lo.arp_ignore net.ipv4.conf.lo.arp_announce | paste -sd' ')"
done
check "rs1: foreign address on lo intact" foreign_intact

agent_flow

say "TUN specifics"
for rs in rs1 rs2; do
  rx=$(ip -n $rs -s link show tunl0 | awk '/RX:/{getline; print $2; exit}')
  check "$rs: decapsulated packets arrived on tunl0 ($rx)" test "${rx:-0}" -gt 0
done
finish
