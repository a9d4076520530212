#!/bin/bash
# LVS-DR built by hand with ipvsadm (no agent): proves the topology helpers,
# the real-server servers and the held-connection probe on their own, so a
# failing agent test can be told apart from a broken lab.
#   npm run lab -- lab/scenarios/dr-ipvsadm.sh
. "$(dirname "$0")/lib.sh"
VIP=10.0.0.100

say "topology: client, director, rs1, rs2 on br0"
topo_flat 10.0.0
ip -n director addr add $VIP/32 dev eth0
nsx director ipvsadm -A -t $VIP:80 -s rr
nsx director ipvsadm -a -t $VIP:80 -r 10.0.0.11:80 -g
nsx director ipvsadm -a -t $VIP:80 -r 10.0.0.12:80 -g
for rs in rs1 rs2; do
  ip -n $rs addr add $VIP/32 dev lo
  nsx $rs sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
    net.ipv4.conf.lo.arp_ignore=1 net.ipv4.conf.lo.arp_announce=2
  start_rs $rs $rs 80
done
wait_listen rs1 80; wait_listen rs2 80

say "round robin through the VIP"
R=$(curl_n client http://$VIP/ 6); echo $R
check "6 requests alternate rs1/rs2" alternates "rs1 rs2" "$R"

say "held connection survives an in-place weight edit"
check "held connection established" held_start client $VIP 80 dr
nsx director ipvsadm -e -t $VIP:80 -r 10.0.0.12:80 -g -w 3
check "held connection alive after ipvsadm -e" held_alive dr
wait_conns director $VIP:80 7 || true
c=$(svc_stat director $VIP:80 3)
check "service counted 7 connections (6 curls + held): $c" [ "${c:-0}" -eq 7 ]

say "what a delete + re-create (a naive reload) looks like"
# IPVS keeps connection entries when their service goes away, so a held
# connection alone cannot tell an in-place edit from a delete + re-create.
# The restarted counter can: the agent tests check it after every apply.
nsx director ipvsadm -D -t $VIP:80
nsx director ipvsadm -R <<RULES
-A -t $VIP:80 -s rr
-a -t $VIP:80 -r 10.0.0.11:80 -g -w 1
-a -t $VIP:80 -r 10.0.0.12:80 -g -w 3
RULES
sleep 2.2
c2=$(svc_stat director $VIP:80 3)
check "re-created service restarted its counter ($c -> ${c2:-gone}): the in-place check can fail" [ "${c2:-0}" -lt "$c" ]
if held_alive dr 2>/dev/null; then echo "(the held connection survived the delete + re-create)"; else echo "(the held connection broke on delete + re-create)"; fi
finish
