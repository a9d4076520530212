#!/bin/bash
# Health-check detection time, lvs-agent vs ldirectord, side by side in ONE lab
# VM run (issue #6). Detection = the real server's HTTP server stops answering
# (its listening socket and connections close: connects are refused, as after a
# crash) -> the kernel no longer gives it new connections (weight 0, or the
# destination gone: ldirectord's default quiescent=no removes it). The kernel is
# polled every ~20 ms through the director's /proc/net/ip_vs with bash builtins
# (no process per poll); the end state is confirmed with ipvsadm.
#
# Configurations (N trials each, default 7; a random 0-1.2 s pause before each
# stop so the stop falls at a random point of the check cycle):
#   agent-defaults     HEALTH_CHECK_DEFAULTS: intervalMs 300, timeoutMs 500, rise 2, fall 2
#   agent-1s-fall1     intervalMs 1000, fall 1 (what ldirectord can do at best)
#   ldirectord-1s      checkinterval=1 (its minimum: whole seconds), failurecount=1 (default)
#   ldirectord-default checkinterval=10, failurecount=1 (Debian's defaults)
# All use an HTTP GET of /health with Host www.example.com and a body match.
#   npm run agent:build && npm run lab -- bench/health-detection.sh
#   npm run lab -- -e N=5 -e CONFIGS="agent-defaults ldirectord-1s" bench/health-detection.sh
. "$(dirname "$0")/../lab/scenarios/lib.sh"
need_agent() { [ -f "$AGENT_BUNDLE" ] || { echo "build the agent first: npm run agent:build" >&2; exit 1; }; }
need_agent
command -v ldirectord > /dev/null || { echo "ldirectord is not installed on the host (apt-get install ldirectord; scripts/install-test-deps.sh)" >&2; exit 1; }
N=${N:-7}
CONFIGS=${CONFIGS:-"agent-defaults agent-1s-fall1 ldirectord-1s ldirectord-default"}

cat > "$WORK/hs.js" <<'JS'
const http = require('http');
const [name, port] = process.argv.slice(2);
let server = null;
const start = () => {
  server = http.createServer((req, res) => {
    if (req.url === '/health' && req.headers.host !== 'www.example.com') { res.statusCode = 404; return res.end('no such site\n'); }
    res.end(req.url === '/health' ? `${name} ok\n` : `${name}\n`);
  });
  server.listen({ port: Number(port), host: '::', ipv6Only: false });
};
process.on('SIGUSR2', () => { if (server) { server.close(); server.closeAllConnections(); server = null; } });
process.on('SIGHUP', () => { if (!server) start(); });
setInterval(() => {}, 1 << 30);
start();
JS

mkns director rs1 rs2
mkbr br0
attach director eth0 br0 10.0.0.2/24
attach rs1 eth0 br0 10.0.0.11/24
attach rs2 eth0 br0 10.0.0.12/24
for rs in rs1 rs2; do
  ip netns exec $rs node "$WORK/hs.js" $rs 80 > "$WORK/srv-$rs.log" 2>&1 &
  BG_PIDS+=($!); disown $!
done
wait_listen rs1 80 60; wait_listen rs2 80 60
RS2_PID=$(nsx rs2 ss -Hltnp 'sport = :80' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
# a process in the director's namespace: /proc/PID/net/ip_vs is that namespace's table
ip netns exec director sleep 100000 &
BG_PIDS+=($!); disown $!
sleep 0.3
DIRECTOR_PID=$(ip netns pids director | head -1)

usecs() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000000 + 10#${t#*.} )); }
hex4() { local IFS=.; set -- $1; printf -v HEX '%02X%02X%02X%02X' "$1" "$2" "$3" "$4"; }
# out_of_service VIP : true when 10.0.0.12:80 has weight 0 or is absent in VIP:80
out_of_service() {
  local svc want line in_svc=0
  hex4 "$1"; svc="$HEX:0050"; hex4 10.0.0.12; want="$HEX:0050"
  mapfile -t L < "/proc/$DIRECTOR_PID/net/ip_vs"
  for line in "${L[@]}"; do
    set -- $line
    if [ "${1:-}" = TCP ]; then [ "$2" = "$svc" ] && in_svc=1 || in_svc=0
    elif [ $in_svc = 1 ] && [ "${1:-}" = "->" ] && [ "$2" = "$want" ]; then [ "$4" = 0 ]; return; fi
  done
  return 0
}
in_service() { ! out_of_service "$1"; }
# wait_until COND VIP TIMEOUT_S : microseconds it took, or "timeout"
wait_until() {
  local t0 end
  t0=$(usecs); end=$(( t0 + $3 * 1000000 ))
  until $1 "$2"; do
    [ "$(usecs)" -gt $end ] && { echo timeout; return 1; }
    sleep 0.02
  done
  echo $(( $(usecs) - t0 ))
}
# trials NAME VIP : N stop/detect/start cycles against rs2, one line per trial
trials() {
  local name=$1 vip=$2 i t r
  : > "$WORK/$name.times"
  wait_until in_service "$vip" 60 > /dev/null || { echo "$name: rs2 never in service" >&2; return 1; }
  # trial 0 is a warm-up, not counted: right after start-up a checker may still be in its
  # first cycle (ldirectord adds every real server, then starts checking; perl starts slowly)
  for ((i = 0; i <= N; i++)); do
    sleep "$(awk -v r=$RANDOM 'BEGIN{printf "%.2f", 0.3 + r / 32767 * 1.2}')"
    kill -USR2 "$RS2_PID"
    t=$(wait_until out_of_service "$vip" 40) || true
    # the kernel's own listing agrees: weight 0 or no such destination
    case "$(nsx director ipvsadm -Ln -t "$vip:80" | awk '$2 == "10.0.0.12:80" {print $4}')" in 0|"") ;; *) t=ipvsadm-disagrees;; esac
    kill -HUP "$RS2_PID"
    r=$(wait_until in_service "$vip" 40) || true
    echo "$name trial $i$([ $i = 0 ] && echo " (warm-up)"): detected in $(awk -v u="$t" 'BEGIN{ if (u ~ /^[0-9]+$/) printf "%.3f s", u / 1e6; else print u }'), back in service $(awk -v u="$r" 'BEGIN{ if (u ~ /^[0-9]+$/) printf "%.3f s", u / 1e6; else print u }') after the restart"
    [ $i -gt 0 ] && echo "$t" >> "$WORK/$name.times"
  done
}
summary() { # summary NAME : "median X s, max Y s (n=N)"
  sort -n "$WORK/$1.times" | awk '/^[0-9]+$/ {v[n++] = $1} END {
    if (n == 0) { print "no successful trial"; exit }
    m = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
    printf "median %.3f s, min %.3f s, max %.3f s (n=%d)", m / 1e6, v[0] / 1e6, v[n - 1] / 1e6, n }'
}

agent_config() { # agent_config VIP CHECK_JSON -> file
  cat > "$WORK/agent-$1.json" <<JSON
{ "schemaVersion": 1, "generation": 1, "host": "director",
  "ipvs": { "services": [ { "protocol": "tcp", "address": "$1", "port": 80, "scheduler": "rr",
      "destinations": [ { "address": "10.0.0.11", "forwarding": "dr" }, { "address": "10.0.0.12", "forwarding": "dr" } ],
      "healthCheck": $2 } ] },
  "addresses": [], "realServer": null, "sysctls": {}, "fwmarks": [] }
JSON
  echo "$WORK/agent-$1.json"
}
run_agent() { # run_agent NAME VIP CHECK_JSON
  local file pid
  file=$(agent_config "$2" "$3")
  mkdir -p "$WORK/state-$1"
  ip netns exec director node "$AGENT_BUNDLE" run --desired "$file" --state-dir "$WORK/state-$1" > "$WORK/$1.log" 2>&1 &
  pid=$!; BG_PIDS+=($!); disown $!
  trials "$1" "$2"
  kill -TERM $pid; sleep 1
  nsx director ipvsadm -D -t "$2:80" 2>/dev/null || true
  # where the time goes: the daemon's own reconcile after each transition (plan + ipvsadm -R + read-back)
  jq -r 'select(.event == "reconcile" and .source == "health") | .ms' "$WORK/$1.log" | sort -n |
    awk -v n="$1" '{v[c++] = $1} END {if (c) printf "%s: %d health reconciles, median %d ms, max %d ms (transition -> kernel changed -> read back)\n", n, c, v[int(c / 2)], v[c - 1]}'
  jq -r 'select(.event == "reconcile" and .source == "periodic") | .ms' "$WORK/$1.log" | sort -n |
    awk -v n="$1" '{v[c++] = $1} END {if (c) printf "%s: %d periodic full reconciles meanwhile, median %d ms (a transition waits for one in flight)\n", n, c, v[int(c / 2)]}'
}
run_ldirectord() { # run_ldirectord NAME VIP CHECKINTERVAL|"" : "" = leave checkinterval at its default
  local cf=$WORK/ld-$1.cf pid
  { [ -n "$3" ] && echo "checkinterval=$3"
    cat <<CF
virtual=$2:80
	real=10.0.0.11:80 gate 1
	real=10.0.0.12:80 gate 1
	service=http
	checktype=negotiate
	request="/health"
	receive="ok"
	virtualhost=www.example.com
	scheduler=rr
	protocol=tcp
CF
  } > "$cf"
  ip netns exec director ldirectord -d "$cf" start > "$WORK/$1.log" 2>&1 &
  pid=$!; BG_PIDS+=($!); disown $!
  trials "$1" "$2"
  kill -TERM $pid 2>/dev/null; sleep 1
  for p in $(ip netns pids director); do grep -q ldirectord "/proc/$p/cmdline" 2>/dev/null && kill -9 "$p"; done
  nsx director ipvsadm -D -t "$2:80" 2>/dev/null || true
}

echo "lab VM: $(nproc) vCPU, kernel $(uname -r), $(ldirectord --version 2>&1 | head -1), N=$N"
vip=100
for c in $CONFIGS; do
  vip=$((vip + 1))
  case $c in
    agent-defaults) run_agent $c 10.0.0.$vip '{ "type": "http", "path": "/health", "host": "www.example.com", "expectBody": "ok" }';;
    agent-1s-fall1) run_agent $c 10.0.0.$vip '{ "type": "http", "path": "/health", "host": "www.example.com", "expectBody": "ok", "intervalMs": 1000, "timeoutMs": 1000, "fall": 1 }';;
    ldirectord-1s) run_ldirectord $c 10.0.0.$vip 1;;
    ldirectord-default) run_ldirectord $c 10.0.0.$vip "";;
    *) echo "unknown configuration $c" >&2; exit 2;;
  esac
done
echo
echo "detection time (server stops answering -> out of service in the kernel):"
for c in $CONFIGS; do printf '  %-20s %s\n' "$c" "$(summary $c)"; done
