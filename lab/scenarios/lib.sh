# Helpers for lab scenarios and lab tests. Source it from bash INSIDE the lab VM
# (npm run lab -- lab/tests/...). Everything lives in network namespaces, veth
# pairs and bridges created here; the VM has no NIC, so no packet can leave.
# Everything a script creates is removed when it exits, so several scripts can
# run one after another in the same VM (lab/tests/run-all.sh).
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ "${LVSLAB_GUEST:-}" != 1 ] && [ "${LVSLAB_FORCE:-}" != 1 ]; then
  echo "refusing to run outside the lab VM: use npm run lab -- $0 (LVSLAB_FORCE=1 overrides)" >&2
  exit 3
fi

LAB_SCENARIOS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_DIR=$(dirname "$LAB_SCENARIOS")
REPO_DIR=$(dirname "$LAB_DIR")
AGENT_BUNDLE=${LVS_AGENT_BUNDLE:-$REPO_DIR/agent/dist/lvs-agent.cjs}
# per-script scratch dir (logs, desired-state files, the agents' state dirs)
WORK=${LAB_WORK:-/tmp/lab-work/$(basename "$0" .sh)}
rm -rf "$WORK"; mkdir -p "$WORK"
T_START=$(date +%s.%N)
FAILS=0 PASSES=0

# Background daemons must not keep our stdout open (a reader of this script's
# output would never see EOF and the VM would not power off): every helper
# redirects their output to files, and they are killed on exit.
CREATED_NS=() CREATED_LINKS=() BG_PIDS=()
cleanup_lab() {
  local pids l n
  set +e   # processes may be gone already; never let errexit change the script's status here
  for n in "${BG_PIDS[@]+"${BG_PIDS[@]}"}"; do kill -9 "$n" 2>/dev/null; done
  pids=$(jobs -p); [ -n "$pids" ] && kill -9 $pids 2>/dev/null
  for n in "${CREATED_NS[@]+"${CREATED_NS[@]}"}"; do
    pids=$(ip netns pids "$n" 2>/dev/null); [ -n "$pids" ] && kill -9 $pids 2>/dev/null
  done
  for l in "${CREATED_LINKS[@]+"${CREATED_LINKS[@]}"}"; do ip link del "$l" 2>/dev/null; done
  for n in "${CREATED_NS[@]+"${CREATED_NS[@]}"}"; do ip netns del "$n" 2>/dev/null; done
  return 0
}
trap cleanup_lab EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }
say() { printf '=== [%6.2fs] %s\n' "$(awk -v a="$T_START" -v b="$(now)" 'BEGIN{print b-a}')" "$*"; }
ok() { echo "PASS: $*"; PASSES=$((PASSES + 1)); }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
# check "description" command...: PASS/FAIL by the command's exit status
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

finish() {
  say "done in $(elapsed "$T_START") s: $PASSES passed, $FAILS failed"
  [ "$FAILS" = 0 ]
}

# ---------------------------------------------------------------- topology

mkns() {
  local ns
  for ns in "$@"; do
    ip netns add "$ns"
    CREATED_NS+=("$ns")
    ip -n "$ns" link set lo up
  done
}

# mkbr BR : a bridge in the VM's root namespace (the "switch")
mkbr() {
  ip link add "$1" type bridge forward_delay 0 stp_state 0
  CREATED_LINKS+=("$1")
  ip link set "$1" up
}

# attach NS IF BR [ADDR/PFX...] : veth pair NS:IF <-> root:<ns>-<if> on BR
attach() {
  local ns=$1 ifn=$2 br=$3 peer a; shift 3
  peer="${ns:0:8}-${ifn:0:6}"
  ip link add "$peer" type veth peer name "$ifn" netns "$ns"
  CREATED_LINKS+=("$peer")
  ip link set "$peer" master "$br" up
  for a in "$@"; do
    case "$a" in
      *:*) ip -n "$ns" addr add "$a" dev "$ifn" nodad;;
      *) ip -n "$ns" addr add "$a" dev "$ifn";;
    esac
  done
  ip -n "$ns" link set "$ifn" up
}

# one L2 segment (DR, TUN, fwmark): client .10, director .2, rs1 .11, rs2 .12
# topo_flat PREFIX (e.g. 10.0.0) [PREFIX6 (e.g. fd00:0:0:1::)]
topo_flat() {
  local p=$1 p6=${2:-}
  mkns client director rs1 rs2
  mkbr br0
  attach client   eth0 br0 "$p.10/24" ${p6:+"${p6}10/64"}
  attach director eth0 br0 "$p.2/24"  ${p6:+"${p6}2/64"}
  attach rs1      eth0 br0 "$p.11/24" ${p6:+"${p6}11/64"}
  attach rs2      eth0 br0 "$p.12/24" ${p6:+"${p6}12/64"}
}

# NAT: client on br0 (PUB.0/24), real servers on br1 (PRIV.0/24) behind the
# director, which is their default gateway. topo_nat PUB PRIV
topo_nat() {
  local pub=$1 priv=$2 rs
  mkns client director rs1 rs2
  mkbr br0; mkbr br1
  attach client   eth0 br0 "$pub.10/24"
  attach director eth0 br0 "$pub.2/24"
  attach director eth1 br1 "$priv.1/24"
  attach rs1      eth0 br1 "$priv.11/24"
  attach rs2      eth0 br1 "$priv.12/24"
  for rs in rs1 rs2; do ip -n $rs route add default via "$priv.1"; done
}

# ---------------------------------------------------------------- servers

# start_rs NS NAME PORT... : node HTTP server answering NAME, keep-alive, on ::
start_rs() {
  local ns=$1 name=$2; shift 2
  nsx "$ns" node "$LAB_SCENARIOS/rs-server.js" "$name" "$@" > "$WORK/rs-$name.log" 2>&1 &
  BG_PIDS+=($!); disown $!
}

# wait_listen NS PORT [TIMEOUT_S]
wait_listen() {
  local ns=$1 port=$2 t=${3:-20} end
  end=$((SECONDS + t))
  while [ $SECONDS -lt $end ]; do
    nsx "$ns" ss -Hltn "sport = :$port" | grep -q . && return 0
    sleep 0.1
  done
  echo "port $port in $ns not listening after ${t}s" >&2
  return 1
}

# curl_n NS URL N : N sequential requests (a new connection each), one body per line, ERR on failure
curl_n() {
  local ns=$1 url=$2 n=$3 i
  for ((i = 1; i <= n; i++)); do
    nsx "$ns" curl -s -m 3 -g "$url" || echo ERR
  done
}

# count_of WORD <responses> : how many lines equal WORD
count_of() { grep -cx "$1" <<< "$2" || true; }

# alternates "rs1 rs2" <responses> : each backend answered, never one twice in a row, no error
alternates() {
  local want=$1 got=$2 prev="" line w
  while read -r line; do
    [ "$line" = ERR ] && { echo "a request failed" >&2; return 1; }
    [ "$line" = "$prev" ] && { echo "same backend twice in a row ($line)" >&2; return 1; }
    prev=$line
  done <<< "$got"
  for w in $want; do grep -qx "$w" <<< "$got" || { echo "backend $w never answered" >&2; return 1; }; done
}

# ---------------------------------------------------------------- held connection

# held_start NS HOST PORT NAME : one keep-alive TCP connection through HOST:PORT
# that exchanges a request every 300 ms; log in $WORK/held-NAME.log
held_start() {
  local ns=$1 host=$2 port=$3 name=$4 end
  : > "$WORK/held-$name.log"
  nsx "$ns" node "$LAB_SCENARIOS/held-conn.js" "$host" "$port" "$WORK/held-$name.log" 300 > "$WORK/held-$name.out" 2>&1 &
  BG_PIDS+=($!); disown $!
  end=$((SECONDS + 15))
  while [ $SECONDS -lt $end ]; do
    grep -q ' ok ' "$WORK/held-$name.log" && return 0
    sleep 0.1
  done
  echo "held connection $name never answered: $(cat "$WORK/held-$name.log")" >&2
  return 1
}

# held_backend NAME : the backend that answers on the held connection
held_backend() { awk '$2=="ok"{b=$3} END{print b}' "$WORK/held-$1.log"; }

# held_alive NAME : the held connection answered at least twice more since the
# last call (same socket, no close/error/timeout lines ever)
declare -A HELD_SEEN=()
held_alive() {
  local name=$1 log=$WORK/held-$1.log before=${HELD_SEEN[$1]:-0} n end
  end=$((SECONDS + 10))
  while [ $SECONDS -lt $end ]; do
    n=$(grep -c ' ok ' "$log" || true)
    [ "$n" -ge $((before + 2)) ] && break
    sleep 0.1
  done
  HELD_SEEN[$name]=$n
  if grep -qE ' (closed|error|timeout)' "$log"; then
    echo "held connection $name broke: $(grep -E ' (closed|error|timeout)' "$log" | head -3)" >&2; return 1
  fi
  if [ "$(awk '$2=="ok"{print $4}' "$log" | sort -u | wc -l)" != 1 ]; then
    echo "held connection $name changed socket" >&2; return 1
  fi
  [ "$n" -ge $((before + 2)) ] || { echo "held connection $name stalled ($n answers, had $before)" >&2; return 1; }
}

# ---------------------------------------------------------------- kernel state

# ipvs_rules NS : the IPVS table as sorted `ipvsadm -Sn` lines (no counters)
ipvs_rules() { nsx "$1" ipvsadm -Sn | sort; }
# addrs NS : every address of the namespace, "dev addr/pfx" per line, sorted
addrs() { nsx "$1" ip -o addr show | awk '{print $2, $4}' | sort; }

# svc_stat NS SERVICE COLUMN : a counter of `ipvsadm -Ln --stats --exact` for
# SERVICE ("VIP:PORT", "[V6]:PORT" or a fwmark number); COLUMN 3=Conns 4=InPkts
# 5=OutPkts 6=InBytes 7=OutBytes
svc_stat() {
  nsx "$1" ipvsadm -Ln --stats --exact | awk -v v="$2" -v c="$3" '($1=="TCP"||$1=="UDP"||$1=="FWM") && $2==v {print $c; exit}'
}
# dest_active NS SERVICE RS:PORT : ActiveConn of one destination
dest_active() {
  nsx "$1" ipvsadm -Ln | awk -v v="$2" -v d="$3" '
    ($1=="TCP"||$1=="UDP"||$1=="FWM") {in_svc = ($2==v); next}
    in_svc && $1=="->" && $2==d {print $5; exit}'
}
# wait_conns NS SERVICE N : IPVS sums per-CPU counters on a 2 s timer; poll
# (<= 6 s) until the service counted at least N connections
wait_conns() {
  local c end
  end=$((SECONDS + 6))
  while [ $SECONDS -lt $end ]; do
    c=$(svc_stat "$1" "$2" 3); [ "${c:-0}" -ge "$3" ] && return 0
    sleep 0.2
  done
  return 1
}

# ---------------------------------------------------------------- the agent

# agent NS HOST CMD [ARGS...] : the agent bundle in NS with its own state dir
# (state_dir HOST); prints its stdout, returns its exit code
state_dir() { echo "$WORK/state/$1"; }
agent() {
  local ns=$1 host=$2; shift 2
  mkdir -p "$(state_dir "$host")"
  nsx "$ns" node "$AGENT_BUNDLE" "$@" --state-dir "$(state_dir "$host")"
}

need_agent() {
  if [ ! -f "$AGENT_BUNDLE" ]; then
    echo "no agent bundle at $AGENT_BUNDLE: run npm run agent:build on the host first" >&2
    exit 1
  fi
}
