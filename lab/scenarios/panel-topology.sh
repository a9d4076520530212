# The panel ↔ agent topology, shared by the lab runs driven from the host
# (lab/tests/panel-lab.sh for bench/click-to-kernel.mjs and e2e/lab/): the DR
# segment of topo_flat (client .10, director .2, rs1 .11, rs2 .12 on br0) with
# a REAL agent in each of director, rs1 and rs2, each enrolled with its own
# token. The namespaces reach the panel only through a relay in the VM's root
# namespace (10.0.0.1:3000 -> $LVSLAB_PANEL_URL, which the VM gets from
# lab.sh --panel-port). Source after lab/scenarios/lib.sh.

PANEL_RELAY_ADDR=10.0.0.1
PANEL_RELAY_URL="http://$PANEL_RELAY_ADDR:3000"

# panel_topology : namespaces, br0, the client's on-link route to 192.0.2.0/24,
# the relay, HTTP servers rs1/rs2 on :80
panel_topology() {
  local target=${LVSLAB_PANEL_URL#http://}
  topo_flat 10.0.0
  # the VIPs (192.0.2.0/24) are on the segment: the client ARPs for them and
  # the director, which holds them on eth0, answers
  ip -n client route add 192.0.2.0/24 dev eth0
  ip addr add "$PANEL_RELAY_ADDR/24" dev br0
  node -e '
    const net = require("node:net");
    const [host, port] = process.argv[1].split(":");
    net.createServer((c) => {
      const u = net.connect(Number(port), host);
      c.setNoDelay(true); u.setNoDelay(true);
      c.pipe(u); u.pipe(c);
      c.on("error", () => u.destroy()); u.on("error", () => c.destroy());
      c.on("close", () => u.destroy()); u.on("close", () => c.destroy());
    }).listen(3000, process.argv[2]);
  ' "$target" "$PANEL_RELAY_ADDR" > "$WORK/relay.log" 2>&1 &
  BG_PIDS+=($!); disown $!
  wait_listen_root 3000
  start_rs rs1 rs1 80
  start_rs rs2 rs2 80
  wait_listen rs1 80 && wait_listen rs2 80
}

wait_listen_root() {
  local end=$((SECONDS + 20))
  until ss -Hltn "sport = :$1" | grep -q .; do
    [ $SECONDS -lt $end ] || { echo "relay not listening on :$1" >&2; return 1; }
    sleep 0.1
  done
}

# panel_agent NS HOST TOKEN : enroll HOST (as the agent in NS) and start
# `lvs-agent run` there; its log is $SHARE/agent-HOST.log
panel_agent() {
  local ns=$1 host=$2 token=$3 dir=$WORK/agent-$2
  mkdir -p "$dir"
  if ! nsx "$ns" node "$AGENT_BUNDLE" enroll --panel "$PANEL_RELAY_URL" --token "$token" --hostname "$host" --config-dir "$dir/etc" > "$dir/enroll.log" 2>&1; then
    echo "enroll of $host in $ns failed:" >&2; sed 's/^/    /' "$dir/enroll.log" >&2
    return 1
  fi
  nsx "$ns" node "$AGENT_BUNDLE" run --config-dir "$dir/etc" --state-dir "$dir/state" > "${LVSLAB_SHARE:-/share}/agent-$host.log" 2>&1 &
  BG_PIDS+=($!); disown $!
}

# serve_commands DIR : the host's command channel (lab/control.mjs exec).
# Runs each DIR/N.sh as it appears, sourced in a subshell of this script (root
# namespace; lib.sh's and this file's functions such as nsx, curl_n and
# panel_agent are available; no errexit), writes N.out (stdout+stderr) and
# then N.rc; returns when DIR/stop appears.
serve_commands() {
  local dir=$1 f n rc
  mkdir -p "$dir"
  while [ ! -e "$dir/stop" ]; do
    for f in "$dir"/*.sh; do
      [ -e "$f" ] || continue
      n=${f%.sh}
      rc=0; ( . "$f" ) > "$n.out" 2>&1 < /dev/null || rc=$?
      mv "$f" "$n.ran"
      echo "$rc" > "$n.rc.tmp"; mv "$n.rc.tmp" "$n.rc"
    done
    sleep 0.05
  done
}
