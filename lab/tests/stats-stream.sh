#!/bin/bash
# Live stats (issue #5) from the real agent on the real kernel: the agent runs
# in panel mode in the director's namespace and streams to a stand-in
# collector (lab/scenarios/stats-collector.js: the panel's side of "stats",
# "connections" and "zero") while a client loop runs through the VIP.
#   conn/s > 0 during traffic, 0 again after it stops; no rate ever negative,
#   across ipvsadm -Z (asked through the agent) and an agent restart; the
#   connection table shows the client's held connection on its real server;
#   the foreign service is never streamed, listed or zeroed; --metrics-listen
#   serves the same counters to Prometheus.
#   npm run agent:build && npm run lab -- lab/tests/stats-stream.sh
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/lib-agent.sh"
VIP=10.0.0.100 VIP2=10.0.0.101
WEB="tcp $VIP:80" ALT="tcp $VIP:8080" FOREIGN="tcp $VIP2:80"
declare -A RS_IP=([rs1]=10.0.0.11 [rs2]=10.0.0.12)
COLLECTOR_PORT=3999 METRICS=127.0.0.1:9101
OUT=$WORK/collector; mkdir -p "$OUT"

say "topology, real servers (VIPs on lo by hand), a foreign service with traffic"
topo_flat 10.0.0
for rs in rs1 rs2; do
  ip -n $rs addr add $VIP/32 dev lo; ip -n $rs addr add $VIP2/32 dev lo
  nsx $rs sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
    net.ipv4.conf.lo.arp_ignore=1 net.ipv4.conf.lo.arp_announce=2
  start_rs $rs $rs 80 8080
done
ip -n director addr add $VIP2/32 dev eth0
foreign_add_service director "-t $VIP2:80" 10.0.0.11:80
wait_listen rs1 80; wait_listen rs2 8080
curl_n client http://$VIP2/ 2 > /dev/null

say "the agent applies two services (one-shot), then runs in panel mode against the collector"
write_desired "$WORK/director.json" <<JSON
{ "schemaVersion": 1, "generation": 1, "host": "director",
  "ipvs": { "services": [
    { "protocol": "tcp", "address": "$VIP", "port": 80, "scheduler": "rr",
      "destinations": [ { "address": "10.0.0.11", "forwarding": "dr" }, { "address": "10.0.0.12", "forwarding": "dr" } ] },
    { "protocol": "tcp", "address": "$VIP", "port": 8080, "scheduler": "rr",
      "destinations": [ { "address": "10.0.0.12", "forwarding": "dr" } ] } ] },
  "addresses": [ { "interface": "eth0", "address": "$VIP/32" } ],
  "realServer": null, "sysctls": {}, "fwmarks": [] }
JSON
check "apply exits 0" agent_apply director director "$WORK/director.json"
nsx director node "$LAB_SCENARIOS/stats-collector.js" $COLLECTOR_PORT "$OUT" > "$WORK/collector.log" 2>&1 &
BG_PIDS+=($!); disown $!
wait_listen director $COLLECTOR_PORT
mkdir -p "$WORK/conf"
printf '{"panelUrl":"http://127.0.0.1:%s","hostId":"lab-director","credential":"lvsh_%s"}\n' $COLLECTOR_PORT "$(printf 'a%.0s' $(seq 43))" > "$WORK/conf/credential.json"
start_stats_agent() {   # start_stats_agent NAME : $DAEMON_PID is node itself (ip netns exec execs it), so signals reach it
  mkdir -p "$(state_dir director)"
  ip netns exec director node "$AGENT_BUNDLE" run --state-dir "$(state_dir director)" --config-dir "$WORK/conf" \
    --stats-interval 500 --metrics-listen $METRICS > "$WORK/$1.log" 2>&1 &
  DAEMON_PID=$!; BG_PIDS+=($!); disown $!
}
start_stats_agent agent1
check "agent connects and says hello" wait_event "$OUT/events.jsonl" '"hello"' '.event == "hello"'
check "agent listens for metrics" wait_event "$WORK/agent1.log" 'metrics-listening' '.address == "'$METRICS'"'

# view_of KEY : the collector's current view of a service ({} if none)
view_of() { tail -n 1 "$OUT/view.jsonl" | jq -c --arg k "$1" '.services[$k] // {}'; }
# n_frames : frames received so far
n_frames() { wc -l < "$OUT/frames.jsonl"; }
# wait_view JQ_FILTER TIMEOUT : the newest view matches (polling)
wait_view() {
  local end=$((SECONDS + ${2:-10}))
  while [ $SECONDS -lt $end ]; do
    tail -n 1 "$OUT/view.jsonl" 2>/dev/null | jq -e "$1" > /dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "view never matched $1; last: $(tail -n 1 "$OUT/view.jsonl" | head -c 600)" >&2; return 1
}
# ask EVENT PAYLOAD : the agent's answer to a panel request, through the collector
# seen_view MARK JQ_FILTER TIMEOUT : some view after line MARK matched (a 1-in-4 frame with
# rates is easy to miss by polling only the newest one: IPVS moves its counters every 2 s)
n_views() { wc -l < "$OUT/view.jsonl"; }
seen_view() {
  local end=$((SECONDS + ${3:-10}))
  while [ $SECONDS -lt $end ]; do
    tail -n +$(($1 + 1)) "$OUT/view.jsonl" | jq -e -s "any(.[]; $2)" > /dev/null 2>&1 && return 0
    sleep 0.3
  done
  echo "no view after line $1 matched $2; last: $(tail -n 1 "$OUT/view.jsonl" | head -c 600)" >&2; return 1
}
ask() { nsx director curl -s -m 8 -G "http://127.0.0.1:$COLLECTOR_PORT/ask" --data-urlencode "event=$1" --data-urlencode "payload=$2"; }

check "first frame is full and lists both owned services" \
  wait_event "$OUT/frames.jsonl" '"seq":0,' ".frame.full and ([.frame.services[].k] | sort) == [\"$WEB\", \"$ALT\"]" 20
check "owned services are keyed like the desired state, destinations too" wait_view ".services[\"$WEB\"].d | keys == [\"10.0.0.11:80\", \"10.0.0.12:80\"]" 5

say "a client loop through the VIP"
ip netns exec client bash -c "while :; do curl -s -m 2 http://$VIP/ > /dev/null; curl -s -m 2 http://$VIP:8080/ > /dev/null; sleep 0.1; done" > /dev/null 2>&1 &
LOOP=$!; BG_PIDS+=($LOOP); disown $LOOP
check "conn/s > 0 for $WEB while the loop runs" seen_view "$(n_views)" ".services[\"$WEB\"].r[0] > 0" 15
check "held connection established" held_start client $VIP 80 stats
HELD=$(held_backend stats)
sleep 1.5
metrics_ok() {
  local m v
  m=$(nsx director curl -s http://$METRICS/metrics)
  v=$(grep -F "lvs_service_connections_total{service=\"$WEB\"} " <<< "$m" | awk '{print $NF}')
  echo "lvs_service_connections_total{service=\"$WEB\"} = $v"
  [ "${v:-0}" -gt 0 ] && ! grep -qF "$VIP2" <<< "$m"
}
check "metrics: lvs_service_connections_total of $WEB > 0, foreign service absent" metrics_ok

say "connection table through the agent"
ask connections "{\"service\":\"$WEB\",\"state\":\"ESTABLISHED\"}" > "$WORK/conns.json"
cat "$WORK/conns.json" | head -c 600; echo
check "the held connection is listed: client 10.0.0.10, destination ${RS_IP[$HELD]}:80 ($HELD)" \
  jq -e --arg d "${RS_IP[$HELD]}:80" '.ok and .total >= 1 and any(.rows[]; (.client | startswith("10.0.0.10:")) and .destination == $d and .virtual == "10.0.0.100:80" and .protocol == "TCP")' "$WORK/conns.json"
ask connections "{\"service\":\"$FOREIGN\"}" > "$WORK/conns-foreign.json"
check "connections of the foreign service are refused: $(cat "$WORK/conns-foreign.json")" jq -e '.ok == false' "$WORK/conns-foreign.json"

say "ipvsadm -Z through the agent (every owned service: one ipvsadm -R), while traffic runs"
before=$(svc_stat director $VIP:80 3); abefore=$(svc_stat director $VIP:8080 3); fbefore=$(svc_stat director $VIP2:80 3)
vmark=$(n_views)
zreply=$(ask zero '{}')
check "zero answers ok ($zreply)" test "$zreply" = '{"ok":true}'
after=$(svc_stat director $VIP:80 3)
check "$WEB counter dropped ($before -> $after)" test "$after" -lt "$before"
check "$ALT counter dropped too ($abefore -> $(svc_stat director $VIP:8080 3))" test "$(svc_stat director $VIP:8080 3)" -lt "$abefore"
check "foreign service counter untouched ($fbefore)" test "$(svc_stat director $VIP2:80 3)" = "$fbefore"
check "after the reset the stream shows the low counter, rates still > 0" seen_view "$vmark" ".services[\"$WEB\"].c[0] < $before and .services[\"$WEB\"].r[0] > 0" 10

say "agent restart (SIGTERM, start again)"
kill -TERM $DAEMON_PID
check "agent disconnected" wait_event "$OUT/events.jsonl" '"disconnected"' '.event == "disconnected"' 15
end=$((SECONDS + 15)); while [ $SECONDS -lt $end ] && kill -0 $DAEMON_PID 2>/dev/null; do sleep 0.1; done
mark=$(n_frames); vmark=$(n_views)
start_stats_agent agent2
check "restarted agent: a full frame at seq 0 with no rates (first sample)" bash -c "
  end=\$((SECONDS + 20)); while [ \$SECONDS -lt \$end ]; do
    tail -n +$((mark + 1)) '$OUT/frames.jsonl' | head -n 1 | jq -e '.frame.seq == 0 and .frame.full and (.frame.services[] | select(.k == \"$WEB\") | .r == null)' > /dev/null 2>&1 && exit 0
    sleep 0.2; done; exit 1"
check "conn/s > 0 again after the restart" seen_view "$vmark" ".services[\"$WEB\"].r[0] > 0" 15
grep -q '"seq":0,' <(tail -n +$((mark + 1)) "$OUT/frames.jsonl") || { echo "agent2 log:"; tail -5 "$WORK/agent2.log"; }

say "the loop stops"
kill $LOOP 2>/dev/null; wait $LOOP 2>/dev/null || true
check "conn/s back to 0 (held connection still open)" wait_view "(.services[\"$WEB\"].r[0] // 0) == 0 and (.services[\"$ALT\"].r[0] // 0) == 0" 10
check "active connections still show the held one" wait_view ".services[\"$WEB\"].a >= 1" 3

say "over the whole run"
check "no rate was ever negative (every frame, service, destination, totals)" \
  jq -e -s '[.[].frame | (.services[] | (.r // []), (.d[] | .r // [])), (.totals.r // []) | .[]] | all(. >= 0)' "$OUT/frames.jsonl"
check "the foreign service was never streamed" sh -c "! grep -qF '\"$FOREIGN\"' '$OUT/frames.jsonl'"
check "every frame was acknowledged before the next (seq counts up by one per connection)" \
  jq -e -s '[.[].frame.seq] | . as $s | [range(1; length) | select($s[.] != 0 and $s[.] != $s[. - 1] + 1)] | length == 0' "$OUT/frames.jsonl"
echo "frames: $(n_frames), full: $(jq -s '[.[] | select(.frame.full)] | length' "$OUT/frames.jsonl"), bytes full/delta (median): $(jq -s '[.[] | select(.frame.full) | .frame | tojson | length] | sort | .[length/2|floor]' "$OUT/frames.jsonl")/$(jq -s '[.[] | select(.frame.full | not) | .frame | tojson | length] | sort | .[length/2|floor]' "$OUT/frames.jsonl")"
kill -TERM $DAEMON_PID 2>/dev/null || true
finish
