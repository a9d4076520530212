#!/bin/bash
# Checks of the lab runner itself, from the host: exit code, stdout/stderr
# separation, share write-back, -e env, cwd, no NIC by default, IPVS modules,
# kmod modprobe in the chroot, output to a regular file, timeout -> 124, the
# global one-VM lock, and --panel-port reaching exactly one host port.
#   bash lab/selftest.sh        (~40 s)
LAB=$(cd "$(dirname "$0")" && pwd)
cd "$LAB"
fails=0
ok() { echo "PASS: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
mkdir -p "$LAB/run"
SH=$(mktemp -d "$LAB/run/selftest.XXXXXX")
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; rm -rf "$SH"' EXIT

t0=$(date +%s.%N)
./lab.sh -s "$SH" -e FOO='a b' -- bash -c '
  echo "out:$FOO"; echo "err:$(pwd)" >&2
  echo written-in-vm > "$LVSLAB_SHARE/f.txt"; echo also > /share/g.txt
  echo "nics:$(ls /sys/class/net | tr "\n" " ")"
  echo "ipvs:$(head -1 /proc/net/ip_vs)"
  echo "scheds:$(ls /sys/module | grep -c "^ip_vs_[a-z]*$")"
  modprobe ip_vs_ftp && echo "ftp:$(grep -c "^ip_vs_ftp " /proc/modules)"
  ip link add d0 type dummy && ip link add b0 type bridge && ip link add v0 type veth peer name v1 && echo links-ok
  echo "cpus:$(nproc)"
  exit 42' > "$SH/out" 2> "$SH/err"
rc=$?
echo "one VM run: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s"
[ $rc = 42 ] && ok "exit code propagated" || bad "exit code $rc"
grep -qx 'out:a b' "$SH/out" && ok "stdout + -e env" || bad "stdout/env: $(cat "$SH/out")"
grep -qx "err:$LAB" "$SH/err" && ok "stderr separate, cwd kept" || bad "stderr/cwd: $(cat "$SH/err")"
grep -qx written-in-vm "$SH/f.txt" && [ -f "$SH/g.txt" ] && ok "share written back to host" || bad "share"
grep -qx 'nics:lo ' "$SH/out" && ok "VM has no network card by default (only lo)" || bad "$(grep nics "$SH/out")"
grep -q 'ipvs:IP Virtual Server version' "$SH/out" && ok "/proc/net/ip_vs present" || bad "no ip_vs"
grep -qx 'scheds:13' "$SH/out" && ok "all 13 scheduler modules loaded" || bad "$(grep scheds "$SH/out")"
grep -qx 'ftp:1' "$SH/out" && ok "modprobe ip_vs_ftp in the chroot" || bad "ip_vs_ftp"
grep -qx 'links-ok' "$SH/out" && ok "dummy/bridge/veth autoload" || bad "links"
grep -qx 'cpus:2' "$SH/out" && ok "2 vCPUs by default" || bad "$(grep cpus "$SH/out")"

# -c 1
./lab.sh -c 1 -- nproc > "$SH/c1" 2>&1
[ "$(cat "$SH/c1")" = 1 ] && ok "-c 1 gives one vCPU" || bad "-c 1: $(cat "$SH/c1")"

# output to a regular file followed by more writes from the caller must not clobber
{ ./lab.sh -- echo first-line; echo second-line; } > "$SH/file.txt"
[ "$(cat "$SH/file.txt")" = "$(printf 'first-line\nsecond-line')" ] && ok "stdout to a regular file" || bad "file output: $(cat "$SH/file.txt")"

# global lock: a second VM waits for the first (they never overlap)
( ./lab.sh -- bash -c 'echo A-start $(date +%s.%N); sleep 3; echo A-end $(date +%s.%N)' > "$SH/lockA" 2>&1 ) & A=$!
sleep 0.5
./lab.sh -- bash -c 'echo B-start $(date +%s.%N)' > "$SH/lockB" 2> "$SH/lockB.err"
wait $A
aend=$(awk '/A-end/{print $2}' "$SH/lockA"); bstart=$(awk '/B-start/{print $2}' "$SH/lockB")
if [ -n "$aend" ] && [ -n "$bstart" ] && awk -v a="$aend" -v b="$bstart" 'BEGIN{exit !(b > a)}' \
   && grep -q 'waiting' "$SH/lockB.err"; then
  ok "second VM waited for the first (global lock)"
else
  bad "lock: A=$(cat "$SH/lockA") B=$(cat "$SH/lockB") $(cat "$SH/lockB.err")"
fi

# --panel-port: the guest reaches exactly 127.0.0.1:PORT as 10.0.2.100:3000
PORT=$((20000 + RANDOM % 20000))
node -e 'require("http").createServer((q, r) => r.end("panel-ok " + q.url + "\n")).listen(+process.argv[1], "127.0.0.1")' "$PORT" & PIDS+=($!)
PORT2=$((PORT + 1))
node -e 'require("http").createServer((q, r) => r.end("other\n")).listen(+process.argv[1], "127.0.0.1")' "$PORT2" & PIDS+=($!)
sleep 0.5
./lab.sh --panel-port "$PORT" -e PORT2="$PORT2" -e PORT="$PORT" -- bash -c '
  echo "url:$LVSLAB_PANEL_URL"
  curl -s -m 5 "$LVSLAB_PANEL_URL/one"; curl -s -m 5 "$LVSLAB_PANEL_URL/two"
  for h in 10.0.2.2:$PORT 10.0.2.2:$PORT2 10.0.2.100:$PORT2 10.0.2.100:3001 10.0.2.3:53 127.0.0.1:$PORT; do
    curl -s -m 3 "http://$h/" > /dev/null && echo "reached:$h"
  done; true' > "$SH/net" 2>&1
grep -qx 'url:http://10.0.2.100:3000' "$SH/net" && grep -qx 'panel-ok /one' "$SH/net" && grep -qx 'panel-ok /two' "$SH/net" \
  && ok "--panel-port: guest reaches the host port at 10.0.2.100:3000 (twice)" || bad "panel port: $(cat "$SH/net")"
grep -q '^reached:' "$SH/net" && bad "panel network leaks: $(grep reached "$SH/net" | tr '\n' ' ')" \
  || ok "--panel-port: every other host port and address is unreachable"

# timeout
# (own lock file: qemu inherits the lock fd, so a free lock proves qemu is gone)
LVSLAB_VM_LOCK=$SH/vm.lock ./lab.sh -t 8 -- sleep 60 > /dev/null 2>&1; rc=$?
[ $rc = 124 ] && ok "timeout -> 124" || bad "timeout rc=$rc"
flock -n "$SH/vm.lock" true && ok "qemu killed on timeout (lock released)" || bad "a qemu survived the timeout"
echo "selftest failures: $fails"
[ $fails = 0 ]
