# Steps shared by the agent lab tests (source after lab/scenarios/lib.sh).
# The agent does all the IPVS / address / sysctl / tunnel / nft work; the tests
# only build the wires (namespaces, veths, bridges, base addresses, routes),
# start the servers, add the FOREIGN objects by hand, and check.
need_agent

# same A B : equal strings (prints a diff when not)
same() { [ "$1" = "$2" ] || { diff <(echo "$1") <(echo "$2") | head -20 >&2; return 1; }; }

# write_desired FILE : stdin (JSON) -> FILE, pretty-checked with jq
write_desired() { jq . > "$1"; }

APPLY_N=0
# agent_apply NS HOST FILE : one-shot apply, output in $WORK/HOST-apply-N.log
agent_apply() {
  local ns=$1 host=$2 file=$3 rc=0
  APPLY_N=$((APPLY_N + 1))
  agent "$ns" "$host" apply --desired "$file" > "$WORK/$host-apply-$APPLY_N.log" 2>&1 || rc=$?
  if [ $rc != 0 ]; then
    echo "agent apply in $ns ($file) exited $rc:" >&2
    sed 's/^/    /' "$WORK/$host-apply-$APPLY_N.log" >&2
  fi
  return $rc
}

# plan_ops NS HOST FILE : number of ops `plan --json` proposes (-1 on error)
plan_ops() {
  local out rc=0
  out=$(agent "$1" "$2" plan --desired "$3" --json 2> "$WORK/$2-plan.err") || rc=$?
  if [ $rc != 0 ]; then echo "plan exited $rc: $(cat "$WORK/$2-plan.err")" >&2; echo -1; return; fi
  jq -r '.ops | length' <<< "$out" 2>/dev/null || { echo "plan --json printed no .ops: $out" >&2; echo -1; }
}
plan_empty() {
  local n
  n=$(plan_ops "$@")
  [ "$n" = 0 ] || { echo "second plan on $2 has $n ops: $(agent "$1" "$2" plan --desired "$3" 2>&1 | head -20)" >&2; return 1; }
}

# ---------------------------------------------------------------- foreign objects
# Objects the agent did not create: a hand-made IPVS service and hand-added
# addresses on the interfaces the agent manages. They must survive every apply,
# the daemon's crash and restart, and bad input, byte for byte.
FOREIGN_NS=()
foreign_add_service() {   # foreign_add_service NS "-t VIP:PORT" RS
  local ns=$1 svc=$2 rs=$3
  nsx "$ns" ipvsadm -A $svc -s wlc -p 120
  nsx "$ns" ipvsadm -a $svc -r "$rs" -g -w 7
}
foreign_add_address() {   # foreign_add_address NS DEV ADDR/PFX
  ip -n "$1" addr add "$3" dev "$2"
}
# foreign_snapshot NS... : remember the whole IPVS table and addresses minus
# what the agent is expected to own: the foreign lines are those present now
foreign_snapshot() {
  local ns
  FOREIGN_NS=("$@")
  for ns in "$@"; do
    ipvs_rules "$ns" > "$WORK/foreign-$ns.ipvs"
    addrs "$ns" > "$WORK/foreign-$ns.addrs"
  done
}
# foreign_intact : every line of every snapshot is still present
foreign_intact() {
  local ns missing=""
  for ns in "${FOREIGN_NS[@]}"; do
    missing+=$(comm -23 "$WORK/foreign-$ns.ipvs" <(ipvs_rules "$ns"))
    missing+=$(comm -23 "$WORK/foreign-$ns.addrs" <(addrs "$ns"))
  done
  [ -z "$missing" ] || { echo "foreign objects gone: $missing" >&2; return 1; }
}

# ---------------------------------------------------------------- one converge step
# converge DESCRIPTION NS HOST FILE SERVICE HELD_NAME : apply FILE and prove
# exit 0, an empty second plan, foreign objects intact, the held connection
# still exchanging data, and the service edited in place (its connection
# counter did not restart from zero).
converge() {
  local d=$1 ns=$2 host=$3 file=$4 svc=$5 held=$6 before after
  before=$(svc_stat "$ns" "$svc" 3)
  check "$d: apply exits 0" agent_apply "$ns" "$host" "$file"
  check "$d: a second plan is empty" plan_empty "$ns" "$host" "$file"
  check "$d: foreign service and addresses intact" foreign_intact
  if [ -n "$held" ]; then
    check "$d: held TCP connection through the VIP still exchanges data" held_alive "$held"
  fi
  if [ -n "$before" ]; then
    after=$(svc_stat "$ns" "$svc" 3)
    check "$d: service edited in place (conns $before -> ${after:-gone})" [ "${after:-0}" -ge "$before" ]
  fi
}

# ---------------------------------------------------------------- bad input
# rejects_bad_input NS HOST FILE WHY : exit 2, kernel and cache untouched
rejects_bad_input() {
  local ns=$1 host=$2 file=$3 why=$4 rc=0 t0 a0
  t0=$(ipvs_rules "$ns"); a0=$(addrs "$ns")
  agent "$ns" "$host" apply --desired "$file" > "$WORK/$host-bad.out" 2> "$WORK/$host-bad.err" || rc=$?
  check "bad input ($why): apply exits 2 (got $rc)" [ $rc = 2 ]
  check "bad input ($why): a message on stderr" test -s "$WORK/$host-bad.err"
  check "bad input ($why): IPVS table unchanged" same "$t0" "$(ipvs_rules "$ns")"
  check "bad input ($why): addresses unchanged" same "$a0" "$(addrs "$ns")"
}

# ---------------------------------------------------------------- daemon crash
# wait_event LOG WORD JQ_FILTER [TIMEOUT_S] : a JSON line of LOG that contains
# WORD (cheap grep while polling) and matches the jq filter (checked on every
# such line: a matching line that fails the filter fails at once)
wait_event() {
  local log=$1 word=$2 filter=$3 t=${4:-30} end
  end=$((SECONDS + t))
  while [ $SECONDS -lt $end ]; do
    if grep -qF -- "$word" "$log" 2>/dev/null; then
      grep -F -- "$word" "$log" | jq -e "select($filter)" > /dev/null 2>&1 && return 0
      echo "event with $word does not match $filter:" >&2; head -20 "$log" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "no event with $word in $log after ${t}s:" >&2; head -20 "$log" >&2
  return 1
}

# start_daemon NS HOST NAME : `run` in the background, log in $WORK/NAME.log
DAEMON_PID=
start_daemon() {
  local ns=$1 host=$2 name=$3
  mkdir -p "$(state_dir "$host")"
  # `ip netns exec` execs node in place, so $! is the agent itself (a shell
  # function in the background would leave $! pointing at a subshell, and
  # kill -9 would miss the agent)
  ip netns exec "$ns" node "$AGENT_BUNDLE" run --state-dir "$(state_dir "$host")" > "$WORK/$name.log" 2>&1 &
  DAEMON_PID=$!; BG_PIDS+=($!); disown $!
}

# gone PID : the process has exited (waits up to 5 s)
gone() {
  local end=$((SECONDS + 5))
  while [ $SECONDS -lt $end ]; do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  echo "process $1 still running: $(tr '\0' ' ' < /proc/$1/cmdline 2>/dev/null)"; return 1
}

# crash_and_restart NS HOST SERVICE HELD_NAME : the daemon is killed with -9,
# the kernel keeps every rule; a restart re-applies from its cache with 0 ops
crash_and_restart() {
  local ns=$1 host=$2 svc=$3 held=$4 rules addrs0
  start_daemon "$ns" "$host" "$host-run1"
  check "daemon: ready" wait_event "$WORK/$host-run1.log" '"ready"' '.event == "ready"'
  rules=$(ipvs_rules "$ns"); addrs0=$(addrs "$ns")
  check "daemon: the recorded PID is the agent" grep -q lvs-agent "/proc/$DAEMON_PID/cmdline"
  kill -9 "$DAEMON_PID"
  check "kill -9: the agent is gone" gone "$DAEMON_PID"
  check "kill -9: IPVS rules stay" same "$rules" "$(ipvs_rules "$ns")"
  check "kill -9: addresses stay" same "$addrs0" "$(addrs "$ns")"
  [ -n "$held" ] && check "kill -9: held connection alive" held_alive "$held"
  start_daemon "$ns" "$host" "$host-run2"
  check "restart: reconciles from its cache with 0 ops" \
    wait_event "$WORK/$host-run2.log" '"source":"cache"' '.event == "reconcile" and .source == "cache" and .ops == 0'
  check "restart: ready" wait_event "$WORK/$host-run2.log" '"ready"' '.event == "ready"'
  check "restart: IPVS rules unchanged" same "$rules" "$(ipvs_rules "$ns")"
  check "restart: addresses unchanged" same "$addrs0" "$(addrs "$ns")"
  check "restart: foreign objects intact" foreign_intact
  kill -TERM "$DAEMON_PID"
  local end=$((SECONDS + 10))
  while [ $SECONDS -lt $end ] && kill -0 "$DAEMON_PID" 2>/dev/null; do sleep 0.1; done
  check "daemon stop (SIGTERM): the agent exited" gone "$DAEMON_PID"
  check "daemon stop (SIGTERM): IPVS rules not flushed" same "$rules" "$(ipvs_rules "$ns")"
  check "daemon stop (SIGTERM): addresses not removed" same "$addrs0" "$(addrs "$ns")"
  [ -n "$held" ] && check "after restart: held connection alive" held_alive "$held"
  return 0
}

# ---------------------------------------------------------------- the whole flow
# agent_flow : issue #3 item 8 for one topology, with the agent on the director.
# The test defines before calling it:
#   director_state GEN SCHEDULER "rs1=W rs2=W" [IFACE] -> path of a desired-state file
#   SVC       service as `ipvsadm -Ln` prints it: "VIP:PORT", "[V6]:PORT" or a fwmark
#   SVC_SPEC  service as `ipvsadm -Sn` prints it: "-t VIP:PORT" or "-f MARK"
#   FWD       -g | -m | -i
#   DEST_SUFFIX  what -Sn prints after "-w W" (" --tun-type ipip" for TUN, else empty)
#   RS_DEST   associative array rs1/rs2 -> destination as -Sn prints it (ADDR:PORT)
#   URLS      array of client URLs (new connections alternate between them)
#   HELD_HOST HELD_PORT   where the long-lived connection goes
#   VIP_CIDR VIP_DEV      the VIP the agent must put on the director
# The foreign objects must have been added and snapshotted before.
client_requests() {   # client_requests N : N new connections, cycling through URLS
  local n=$1 i
  for ((i = 0; i < n; i++)); do curl_n client "${URLS[i % ${#URLS[@]}]}" 1; done
}
agent_flow() {
  local R HELD OTHER dmac f
  say "gen 1: agent on the director, rr, weights 1/1"
  f=$(director_state 1 rr "rs1=1 rs2=1")
  converge "gen 1 (create)" director director "$f" "$SVC" ""
  check "gen 1: VIP $VIP_CIDR on the director's $VIP_DEV" \
    sh -c "ip -n director -o addr show dev $VIP_DEV | grep -qF ' $VIP_CIDR '"
  check "gen 1: kernel has the service with both $FWD destinations" same \
    "$(printf '%s\n' "-A $SVC_SPEC -s rr" "-a $SVC_SPEC -r ${RS_DEST[rs1]} $FWD -w 1${DEST_SUFFIX:-}" "-a $SVC_SPEC -r ${RS_DEST[rs2]} $FWD -w 1${DEST_SUFFIX:-}")" \
    "$(ipvs_rules director | grep -F -- "$SVC_SPEC ")"
  R=$(client_requests 6); echo "responses: $(echo $R)"
  check "gen 1: 6 new connections alternate rs1/rs2 (rr)" alternates "rs1 rs2" "$R"

  say "a long-lived TCP connection through the VIP"
  check "held connection established" held_start client "$HELD_HOST" "$HELD_PORT" main
  HELD=$(held_backend main); OTHER=$([ "$HELD" = rs1 ] && echo rs2 || echo rs1)
  echo "held connection is served by $HELD"

  say "gen 2: scheduler change rr -> wrr"
  converge "gen 2 (scheduler)" director director "$(director_state 2 wrr "rs1=1 rs2=1")" "$SVC" main
  check "gen 2: kernel scheduler is wrr" sh -c "ip netns exec director ipvsadm -Sn | grep -qxF -- '-A $SVC_SPEC -s wrr'"

  say "gen 3: weight change rs2 1 -> 3"
  converge "gen 3 (weight)" director director "$(director_state 3 wrr "rs1=1 rs2=3")" "$SVC" main
  check "gen 3: kernel weight of rs2 is 3" sh -c "ip netns exec director ipvsadm -Sn | grep -qxF -- '-a $SVC_SPEC -r ${RS_DEST[rs2]} $FWD -w 3${DEST_SUFFIX:-}'"
  R=$(client_requests 8); echo "responses: $(echo $R)"
  check "gen 3: wrr 1:3 sends 2 of 8 new connections to rs1, 6 to rs2" \
    test "$(count_of rs1 "$R") $(count_of rs2 "$R")" = "2 6"

  say "gen 4: remove $OTHER (the server without the held connection)"
  converge "gen 4 (remove $OTHER)" director director "$(director_state 4 wrr "$HELD=1")" "$SVC" main
  check "gen 4: $OTHER is gone from the kernel" sh -c "! ip netns exec director ipvsadm -Sn | grep -qF -- '-r ${RS_DEST[$OTHER]} '"
  R=$(client_requests 4); echo "responses: $(echo $R)"
  check "gen 4: every new connection goes to $HELD" test "$(count_of "$HELD" "$R")" = 4

  say "the agent daemon: kill -9, restart from its cache"
  crash_and_restart director director "$SVC" main

  say "bad input changes nothing"
  rejects_bad_input director director "$(director_state 90 wrr "$HELD=1" nosuch0)" "unknown interface"
  sed 's/"wrr"/"fastest"/' "$(director_state 91 wrr "$HELD=1")" > "$WORK/bad-sched.json"
  rejects_bad_input director director "$WORK/bad-sched.json" "unknown scheduler"
  check "after bad input: the last good state still plans empty" plan_empty director director "$WORK/director-4.json"
  check "held connection alive at the end" held_alive main
}

# rs_converge "rs1 rs2" : the real servers' agents apply $WORK/<rs>.json, then
# plan it again, all real servers in parallel (2 vCPUs; each node start costs
# seconds under emulation); PASS/FAIL per real server
rs_converge() {
  local rs pids=()
  for rs in $1; do
    ( rc=0; agent_apply "$rs" "$rs" "$WORK/$rs.json" || rc=$?; echo $rc > "$WORK/$rs.apply.rc"
      plan_ops "$rs" "$rs" "$WORK/$rs.json" > "$WORK/$rs.plan.ops" ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  for rs in $1; do
    check "$rs: apply exits 0" test "$(cat "$WORK/$rs.apply.rc")" = 0
    check "$rs: a second plan is empty" test "$(cat "$WORK/$rs.plan.ops")" = 0
  done
}
