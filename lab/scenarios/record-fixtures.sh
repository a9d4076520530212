#!/bin/bash
# Records real kernel outputs for the agent's parser and stats-sampler unit
# tests: a service set that covers every ipvsadm option (all 13 schedulers,
# scheduler flags, persistence + netmask, the sip persistence engine, DR/NAT/TUN,
# weights, thresholds, IPv6, fwmark v4/v6, UDP, port 0, timeouts), with real
# traffic so the counters are not zero, sampled before and after a known
# number of extra requests and after a counter reset.
#   npm run lab -- -s lab/fixtures lab/scenarios/record-fixtures.sh
# (the share is mounted at its host path, so the files land in lab/fixtures)
. "$(dirname "$0")/lib.sh"
OUT=${FIXTURES_OUT:-$LVSLAB_SHARE}
mkdir -p "$OUT"
VIP=10.0.0.100 VIP6=fd00::100

say "topology: DR on br0 (IPv4 + IPv6), real servers with the VIPs on lo"
topo_flat 10.0.0 fd00::
ip -n director addr add $VIP/32 dev eth0
ip -n director addr add $VIP6/128 dev eth0 nodad
for rs in rs1 rs2; do
  ip -n $rs addr add $VIP/32 dev lo
  ip -n $rs addr add $VIP6/128 dev lo
  nsx $rs sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
    net.ipv4.conf.lo.arp_ignore=1 net.ipv4.conf.lo.arp_announce=2
  start_rs $rs $rs 80
done

say "every option, loaded with ipvsadm -R"
nsx director ipvsadm -R <<RULES
-A -t $VIP:80 -s rr
-a -t $VIP:80 -r 10.0.0.11:80 -g -w 1
-a -t $VIP:80 -r 10.0.0.12:80 -g -w 2
-A -t $VIP:443 -s wrr -p 300 -M 255.255.255.0
-a -t $VIP:443 -r 10.0.0.11:8443 -m -w 3 -x 100 -y 10
-a -t $VIP:443 -r 10.0.0.12:443 -i -w 0
-A -u $VIP:53 -s lc
-a -u $VIP:53 -r 10.0.0.11:53 -m -w 1
-A -t $VIP:1001 -s wlc
-A -t $VIP:1002 -s lblc
-A -t $VIP:1003 -s lblcr
-A -t $VIP:1004 -s dh
-A -t $VIP:1005 -s sh -b sh-fallback,sh-port
-A -t $VIP:1006 -s sed
-A -t $VIP:1007 -s nq
-A -t $VIP:1008 -s mh -b mh-fallback,mh-port
-A -t $VIP:1009 -s fo
-a -t $VIP:1009 -r 10.0.0.11:1009 -g -w 10
-a -t $VIP:1009 -r 10.0.0.12:1009 -g -w 5
-A -t $VIP:1010 -s ovf
-a -t $VIP:1010 -r 10.0.0.11:1010 -g -w 1 -x 50
-A -t $VIP:1011 -s rr -b flag-3
-A -u $VIP:5060 -s rr -p 60 --pe sip
-a -u $VIP:5060 -r 10.0.0.11:5060 -m -w 1
-A -t 10.0.0.101:0 -s wlc -p 600
-a -t 10.0.0.101:0 -r 10.0.0.11:0 -g -w 1
-A -t [$VIP6]:80 -s rr -p 120 -M 64
-a -t [$VIP6]:80 -r [fd00::11]:80 -g -w 1
-a -t [$VIP6]:80 -r [fd00::12]:80 -g -w 1
-A -u [$VIP6]:53 -s sh
-a -u [$VIP6]:53 -r [fd00::11]:53 -m -w 2
-A -f 1 -s rr
-a -f 1 -r 10.0.0.11:0 -g -w 1
-a -f 1 -r 10.0.0.12:0 -g -w 1
-A -f 2 -6 -s sh -p 30 -M 128
-a -f 2 -6 -r [fd00::11]:0 -g -w 4
RULES
nsx director ipvsadm --set 900 120 300
wait_listen rs1 80; wait_listen rs2 80

snapshot() {   # snapshot SUFFIX : every stats/listing source the agent may read
  local s=$1
  nsx director cat /proc/net/ip_vs > "$OUT/proc-net-ip_vs.$s.txt"
  nsx director cat /proc/net/ip_vs_stats > "$OUT/proc-net-ip_vs_stats.$s.txt"
  nsx director cat /proc/net/ip_vs_stats_percpu > "$OUT/proc-net-ip_vs_stats_percpu.$s.txt"
  nsx director ipvsadm -Ln --stats --exact > "$OUT/ipvsadm-Ln-stats-exact.$s.txt"
  nsx director ipvsadm -Ln --rate --exact > "$OUT/ipvsadm-Ln-rate-exact.$s.txt"
  date +%s.%N > "$OUT/sampled-at.$s.txt"
}
settle() {   # wait until the service counted N connections, then one more 2 s tick
  wait_conns director $VIP:80 "$1" || echo "counters did not reach $1" >&2
  sleep 2.2
}

say "sample a: after 10 requests + 1 IPv6 request"
R=$(curl_n client http://$VIP/ 10); echo $R
curl_n client "http://[$VIP6]/" 1
settle 10
snapshot a
nsx director ipvsadm -Sn > "$OUT/ipvsadm-Sn.txt"
nsx director ipvsadm -Ln > "$OUT/ipvsadm-Ln.txt"
nsx director ipvsadm -Ln --thresholds > "$OUT/ipvsadm-Ln-thresholds.txt"
nsx director ipvsadm -Ln --persistent-conn > "$OUT/ipvsadm-Ln-persistent-conn.txt"
nsx director ipvsadm -Ln --timeout > "$OUT/ipvsadm-Ln-timeout.txt"
nsx director ipvsadm -Lnc > "$OUT/ipvsadm-Lnc.txt"
nsx director cat /proc/net/ip_vs_conn > "$OUT/proc-net-ip_vs_conn.txt"

say "sample b: 6 more requests to $VIP:80"
curl_n client http://$VIP/ 6 > /dev/null
settle 16
snapshot b

say "sample c: counter reset (the :80 service deleted and re-created), 2 requests"
nsx director ipvsadm -D -t $VIP:80
nsx director ipvsadm -R <<RULES
-A -t $VIP:80 -s rr
-a -t $VIP:80 -r 10.0.0.11:80 -g -w 1
-a -t $VIP:80 -r 10.0.0.12:80 -g -w 2
RULES
curl_n client http://$VIP/ 2 > /dev/null
settle 2
snapshot c
{
  echo "kernel $(uname -r), $(ipvsadm -v 2>&1 | head -1), recorded $(date -u +%FT%TZ) by lab/scenarios/record-fixtures.sh"
} > "$OUT/RECORDED.txt"
ls -la "$OUT"
ok "fixtures written to $OUT"
finish
