#!/bin/bash
# Records the director's connection table for the agent's connection-table
# parser (agent/src/stats/connections.test.ts): TCP in several states (a held
# ESTABLISHED connection, closed ones in FIN_WAIT/TIME_WAIT), IPv6, UDP, a
# persistent service's templates (IP/NONE) and a persistent fwmark service's
# template (its "virtual address" is the mark), side by side with
# `ipvsadm -Lcn` as ground truth, and which /proc/net/ip_vs_conn* files exist.
#   npm run lab -- -s /tmp/lvs-connfix lab/scenarios/record-conn-fixtures.sh
#   cp /tmp/lvs-connfix/* agent/src/stats/fixtures/conn/
. "$(dirname "$0")/lib.sh"
OUT=${FIXTURES_OUT:-$LVSLAB_SHARE}
mkdir -p "$OUT"
VIP=10.0.0.100 VIP6=fd00::100

say "topology: DR on br0 (IPv4 + IPv6)"
topo_flat 10.0.0 fd00::
ip -n director addr add $VIP/32 dev eth0
ip -n director addr add $VIP6/128 dev eth0 nodad
for rs in rs1 rs2; do
  ip -n $rs addr add $VIP/32 dev lo
  ip -n $rs addr add $VIP6/128 dev lo
  nsx $rs sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
    net.ipv4.conf.lo.arp_ignore=1 net.ipv4.conf.lo.arp_announce=2
  start_rs $rs $rs 80 443 8080
done
nsx director nft -f - <<NFT
table ip labmark {
  chain pre {
    type filter hook prerouting priority mangle;
    ip daddr $VIP tcp dport 8080 meta mark set 7
  }
}
NFT
nsx director ipvsadm -R <<RULES
-A -t $VIP:80 -s rr
-a -t $VIP:80 -r 10.0.0.11:80 -g -w 1
-a -t $VIP:80 -r 10.0.0.12:80 -g -w 1
-A -t $VIP:443 -s rr -p 60
-a -t $VIP:443 -r 10.0.0.11:443 -g -w 1
-A -u $VIP:53 -s rr
-a -u $VIP:53 -r 10.0.0.12:53 -g -w 1
-A -f 7 -s rr -p 60
-a -f 7 -r 10.0.0.12:0 -g -w 1
-A -t [$VIP6]:80 -s rr
-a -t [$VIP6]:80 -r [fd00::11]:80 -g -w 1
RULES
wait_listen rs1 80; wait_listen rs2 8080

say "traffic"
check "held connection through $VIP:80" held_start client $VIP 80 conn
curl_n client http://$VIP/ 4 > /dev/null
curl_n client https://$VIP:443/ 1 > /dev/null 2>&1 || true   # plain HTTP server: the TLS handshake fails, the connection exists
nsx client curl -s -m 3 http://$VIP:443/ > /dev/null || true
nsx client curl -s -m 3 http://$VIP:8080/ > /dev/null || true
nsx client curl -s -m 3 -g "http://[$VIP6]/" > /dev/null || true
nsx client bash -c "echo ping > /dev/udp/$VIP/53" || true
nsx client bash -c "echo ping > /dev/udp/$VIP/53" || true
sleep 1

nsx director cat /proc/net/ip_vs_conn > "$OUT/proc-net-ip_vs_conn.txt"
nsx director ipvsadm -Lcn > "$OUT/ipvsadm-Lcn.txt"
nsx director ipvsadm -Ln > "$OUT/ipvsadm-Ln.txt"
ls /proc/net/ | grep '^ip_vs' > "$OUT/proc-net-ip_vs-files.txt"
echo "kernel $(uname -r), $(ipvsadm --version 2>&1 | head -1), recorded $(date -u +%Y-%m-%dT%H:%M:%SZ) by lab/scenarios/record-conn-fixtures.sh" > "$OUT/RECORDED.txt"
cat "$OUT/proc-net-ip_vs_conn.txt" "$OUT/ipvsadm-Lcn.txt" "$OUT/proc-net-ip_vs-files.txt"
check "the table has ESTABLISHED, UDP and fwmark-template rows" bash -c "grep -q ESTABLISHED '$OUT/proc-net-ip_vs_conn.txt' && grep -q '^UDP' '$OUT/proc-net-ip_vs_conn.txt' && grep -q '^IP ' '$OUT/proc-net-ip_vs_conn.txt'"
finish
