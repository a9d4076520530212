#!/bin/bash
# lab.sh - run a command inside a throw-away QEMU (TCG) VM booted with Debian's
# own kernel, which has real IPVS (ip_vs + every scheduler), netfilter, bridge,
# veth, ipip, dummy ... The VM's userland is the HOST's root filesystem,
# exported read-only over virtio-9p with an in-RAM overlay on top, so every
# host binary (node, ipvsadm, ip, nft, curl, bash) runs unchanged inside it.
# The VM has NO network card unless --panel-port is given (then it reaches
# exactly one host loopback port and nothing else).
#
#   npm run lab -- [options] [--] command [args...]
#   bash lab/lab.sh [options] [--] command [args...]
#
# The command runs in the caller's current directory; its stdout/stderr stream
# to ours and its exit code becomes ours (124 = timeout, 125 = VM/runner
# failure). Only one lab VM runs at a time on this machine (global lock); a
# second caller waits. See docs/lab.md.
set -euo pipefail

LAB=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
KVER=${LVSLAB_KVER:-6.1.0-56-amd64}
KPKG=linux-image-$KVER
CACHE=${LVSLAB_CACHE:-$LAB/cache}
BUILD=${LVSLAB_BUILD:-$LAB/build}
MEM=${LVSLAB_MEM:-1024}
CPUS=${LVSLAB_CPUS:-2}
TCG_THREAD=${LVSLAB_TCG_THREAD:-multi}   # multi | single
SHARE=${LVSLAB_SHARE:-$LAB/share}
TIMEOUT=${LVSLAB_TIMEOUT:-900}
ROOTMODE=${LVSLAB_ROOT:-overlay}         # overlay | tmpfs
MACHINE=${LVSLAB_MACHINE:-microvm}       # microvm | pc
KAPPEND=${LVSLAB_KAPPEND:-}              # extra guest kernel command line
PRELOAD=${LVSLAB_PRELOAD:-ipvs}          # ipvs | all | none | "mod1 mod2 ..."
VM_LOCK=${LVSLAB_VM_LOCK:-/tmp/lvs-control-lab.lock}
PANEL_PORT=
VERBOSE=0
REBUILD=0
ENVS=()

usage() {
  cat <<EOF
usage: $0 [options] [--] command [args...]
  -m MB              guest RAM (default $MEM)
  -c N               guest vCPUs (default $CPUS; never more than the host's cores)
  -s DIR             writable share; appears in the VM at /share AND at DIR itself
                     (default $SHARE)
  -t SEC             wall-clock timeout for the VM (default $TIMEOUT) -> rc 124
  -r MODE            root mode: overlay (host root + RAM overlay, everything
                     writable, default) or tmpfs (read-only root, tmpfs /tmp /run /var)
  -e VAR=VAL         set an environment variable for the command (repeatable)
  -p, --panel-port PORT
                     give the VM one NIC (eth0 10.0.2.15/24) that reaches ONLY
                     127.0.0.1:PORT on the host, as 10.0.2.100:3000
                     (\$LVSLAB_PANEL_URL in the VM); nothing else is reachable
  -v                 copy the guest kernel console to stderr
  -B                 force a rebuild of the initramfs
  --build-only       download + build, do not boot
EOF
}

BUILD_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    -m) MEM=$2; shift 2;;
    -c) CPUS=$2; shift 2;;
    -s) SHARE=$2; shift 2;;
    -t) TIMEOUT=$2; shift 2;;
    -r) ROOTMODE=$2; shift 2;;
    -e) ENVS+=("$2"); shift 2;;
    -p|--panel-port) PANEL_PORT=$2; shift 2;;
    -v) VERBOSE=1; shift;;
    -B) REBUILD=1; shift;;
    --build-only) BUILD_ONLY=1; shift;;
    -h|--help) usage; exit 0;;
    --) shift; break;;
    -*) echo "[lab] unknown option $1" >&2; usage >&2; exit 2;;
    *) break;;
  esac
done
if [ $# -eq 0 ] && [ $BUILD_ONLY = 0 ]; then usage >&2; exit 2; fi
case "$CPUS" in ''|*[!0-9]*|0) echo "[lab] -c wants a positive number, got '$CPUS'" >&2; exit 2;; esac
if [ "$CPUS" -gt "$(nproc)" ]; then
  echo "[lab] -c $CPUS is more than the host's $(nproc) cores (oversubscribed TCG is ~4x slower); using $(nproc)" >&2
  CPUS=$(nproc)
fi
if [ -n "$PANEL_PORT" ]; then
  case "$PANEL_PORT" in *[!0-9]*) echo "[lab] --panel-port wants a port number" >&2; exit 2;; esac
  if [ "$PANEL_PORT" -lt 1 ] || [ "$PANEL_PORT" -gt 65535 ]; then echo "[lab] bad port $PANEL_PORT" >&2; exit 2; fi
fi

log() { [ $VERBOSE = 1 ] && echo "[lab] $*" >&2 || true; }

# Modules loaded at boot, in this order (dependencies are resolved by modprobe
# --show-depends on the host, so only top-level names are needed here).
BOOT_MODS="virtio_pci virtio_mmio 9pnet_virtio 9p overlay virtio_console"
NET_MODS="crc32c_generic virtio_net
 ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh
 ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_mh ip_vs_fo ip_vs_ovf ip_vs_ftp ip_vs_pe_sip
 ipip tunnel4 ip_tunnel ip6_tunnel tunnel6 sit dummy veth bridge macvlan 8021q
 nf_conntrack nf_nat nf_conntrack_ftp nf_nat_ftp
 x_tables ip_tables iptable_filter iptable_mangle iptable_nat iptable_raw
 ip6_tables ip6table_filter ip6table_mangle
 xt_mark xt_conntrack xt_MASQUERADE xt_addrtype xt_tcpudp xt_multiport
 xt_comment xt_state xt_ipvs xt_set xt_statistic xt_LOG xt_REDIRECT ipt_REJECT
 nf_tables nft_compat nft_chain_nat nft_ct nft_nat nft_masq nft_redir
 nft_reject_inet nft_fib_inet nft_limit nft_log
 nf_conntrack_netlink nfnetlink_queue ip_set ip_set_hash_ip
 ip_gre gre fou sch_netem sch_tbf sch_htb cls_u32 ifb"
ALL_MODS="$BOOT_MODS $NET_MODS ${LVSLAB_EXTRA_MODS:-}"
# the schedulers the kernel offers, loaded at boot so `ipvsadm` and the agent
# see them all (and sysctl net.ipv4.vs.* exists)
IPVS_PRELOAD="ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_mh ip_vs_fo ip_vs_ovf ip_vs_pe_sip"

fetch_debs() {
  mkdir -p "$CACHE"
  if ! ls "$CACHE"/"${KPKG}"_*.deb >/dev/null 2>&1; then
    local other
    other=$(ls "$CACHE"/linux-image-*-amd64_*.deb 2>/dev/null | head -1 || true)
    if [ -z "${LVSLAB_KVER:-}" ] && [ -n "$other" ]; then
      # a fallback kernel was downloaded earlier: keep using it
      KPKG=$(basename "$other" | cut -d_ -f1); KVER=${KPKG#linux-image-}
    else
      echo "[lab] apt-get download $KPKG" >&2
      if ! (cd "$CACHE" && apt-get -q -o APT::Sandbox::User=root download "$KPKG" >&2); then
        # Debian drops old kernel ABIs from the mirror: fall back to the ABI that
        # linux-image-amd64 currently depends on (set LVSLAB_KVER to pin it).
        KVER=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -1)
        KPKG=linux-image-$KVER
        echo "[lab] falling back to $KPKG (export LVSLAB_KVER=$KVER to pin it)" >&2
        (cd "$CACHE" && apt-get -q -o APT::Sandbox::User=root download "$KPKG" >&2)
      fi
    fi
  fi
  if ! ls "$CACHE"/busybox-static_*.deb >/dev/null 2>&1; then
    echo "[lab] apt-get download busybox-static" >&2
    (cd "$CACHE" && apt-get -q -o APT::Sandbox::User=root download busybox-static >&2)
  fi
}

build_initramfs() {
  local X=$BUILD/extract R=$BUILD/initramfs stamp=$BUILD/.stamp
  local sig
  # rebuild only when what goes INTO the image changes (not on every lab.sh edit)
  sig=$( (cat "$LAB/guest-init.sh"; ls "$CACHE"/*.deb; echo "$ALL_MODS"; echo build-v2) | md5sum | cut -d' ' -f1)
  if [ $REBUILD = 0 ] && [ -f "$BUILD/initrd.cpio" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sig" ]; then
    return 0
  fi
  echo "[lab] building the initramfs in $BUILD" >&2
  rm -rf "$X" "$R"; mkdir -p "$X" "$R"
  dpkg -x "$CACHE"/"${KPKG}"_*.deb "$X"
  dpkg -x "$CACHE"/busybox-static_*.deb "$X"
  depmod -b "$X" "$KVER"
  cp "$X/boot/vmlinuz-$KVER" "$BUILD/vmlinuz"
  # The bzImage is xz-compressed and decompressing it under TCG costs ~1 s per
  # boot: extract the ELF vmlinux once (qemu boots it through its PVH entry).
  local off
  rm -f "$BUILD/vmlinux"
  off=$(LC_ALL=C grep -obUaP -m1 '\xfd7zXZ\x00' "$BUILD/vmlinuz" | head -1 | cut -d: -f1 || true)
  if [ -n "$off" ]; then
    { tail -c +$((off + 1)) "$BUILD/vmlinuz" | xz -dc --single-stream > "$BUILD/vmlinux"; } 2>/dev/null || true
  fi
  if [ "$(head -c4 "$BUILD/vmlinux" 2>/dev/null | od -An -tx1 | tr -d ' ')" != 7f454c46 ]; then
    echo "[lab] could not extract vmlinux; will boot the bzImage (~1 s slower)" >&2
    rm -f "$BUILD/vmlinux"
  fi

  # module closure, in load order
  local M=$X/lib/modules/$KVER list=$BUILD/modules.load m
  : > "$list.tmp"
  for m in $BOOT_MODS - $NET_MODS ${LVSLAB_EXTRA_MODS:-}; do
    if [ "$m" = - ]; then echo "insmod ---" >> "$list.tmp"; continue; fi
    if ! modprobe -d "$X" -S "$KVER" --show-depends "$m" >> "$list.tmp" 2>/dev/null; then
      echo "[lab] WARNING: module $m not found in $KPKG, skipped" >&2
    fi
  done
  # keep "insmod <path>" lines, drop builtins, de-duplicate keeping the first;
  # modules.boot = needed to mount the 9p root, modules.net = everything else
  awk '$1=="insmod"{sub("^'"$M"'/","",$2); if(!seen[$2]++) print $2}' "$list.tmp" > "$list"
  sed '/^---$/,$d' "$list" > "$BUILD/modules.boot"
  sed '1,/^---$/d' "$list" > "$BUILD/modules.net"
  sed -i '/^---$/d' "$list"
  rm -f "$list.tmp"

  mkdir -p "$R"/{bin,sbin,dev,proc,sys,etc,newroot,host,ctl,share,rw,run,tmp} "$R/lib/modules/$KVER"
  cp "$X/bin/busybox" "$R/bin/busybox"
  for a in $("$R/bin/busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"
  done
  ln -sf ../bin/busybox "$R/sbin/modprobe"   # the kernel's request_module() helper
  while read -r m; do
    mkdir -p "$R/lib/modules/$KVER/$(dirname "$m")"
    cp "$M/$m" "$R/lib/modules/$KVER/$m"
  done < "$list"
  cp "$M"/modules.order "$M"/modules.builtin "$M"/modules.builtin.modinfo "$R/lib/modules/$KVER/" 2>/dev/null || true
  depmod -b "$R" "$KVER"
  cp "$BUILD/modules.boot" "$BUILD/modules.net" "$R/"
  cp "$LAB/guest-init.sh" "$R/init"
  chmod +x "$R/init"
  # uncompressed: gunzip under TCG costs more than reading 30 MB from RAM
  (cd "$R" && find . | cpio -o -H newc --quiet) > "$BUILD/initrd.cpio"
  rm -rf "$X" "$R"           # the extracted trees (~450 MB) are not needed any more
  echo "$KVER" > "$BUILD/kver"
  echo "$sig" > "$stamp"
  echo "[lab] initramfs: $(du -h "$BUILD/initrd.cpio" | cut -f1), $(wc -l < "$list") modules, kernel $KVER" >&2
}

bash "$LAB/setup-host.sh" -q   # the lab installs what it needs from apt itself
mkdir -p "$BUILD" "$CACHE"
exec 9> "$BUILD/.lock"      # serialise download/build between parallel callers
flock 9
fetch_debs
build_initramfs
flock -u 9
exec 9>&-
KVER=$(cat "$BUILD/kver")
[ $BUILD_ONLY = 1 ] && exit 0
KIMG=vmlinux
[ -f "$BUILD/$KIMG" ] || KIMG=vmlinuz

# One VM at a time on this machine: two 2-vCPU TCG guests on 2 host cores run
# ~4x slower each. The lock fd is inherited by qemu on purpose, so an orphaned
# qemu still holds it until it exits.
exec 8> "$VM_LOCK"
if ! flock -n 8; then
  echo "[lab] another lab VM is running; waiting for $VM_LOCK" >&2
  flock 8
fi

mkdir -p "$SHARE"
SHARE=$(cd "$SHARE" && pwd)
mkdir -p "$LAB/run"
RUN=$(mktemp -d "$LAB/run/XXXXXX")
QPID=
CATS=()
cleanup() {
  [ -n "$QPID" ] && kill "$QPID" 2>/dev/null
  [ ${#CATS[@]} -gt 0 ] && kill "${CATS[@]}" 2>/dev/null
  rm -rf "$RUN"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$RUN/ctl"

# the command script, executed by the host root's /bin/bash inside the chroot
{
  echo '#!/bin/bash'
  echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  echo 'export HOME=/root TERM=dumb LANG=C.UTF-8 LVSLAB_GUEST=1'
  printf 'export LVSLAB_SHARE=%q LVSLAB_CPUS=%q\n' "$SHARE" "$CPUS"
  [ -n "$PANEL_PORT" ] && echo 'export LVSLAB_PANEL_URL=http://10.0.2.100:3000'
  for e in "${ENVS[@]+"${ENVS[@]}"}"; do printf 'export %q\n' "$e"; done
  printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
  printf 'exec'; printf ' %q' "$@"; echo
} > "$RUN/ctl/cmd.sh"
{
  echo "ROOTMODE=$ROOTMODE"
  printf 'SHAREPATH=%q\n' "$SHARE"
  # tmpfs mode hides the host's /tmp, /run, /var: bind the lab dir and the
  # current dir back in (read-only) when they live there
  RO_BINDS=""
  for d in "$LAB" "$PWD"; do
    case "$d" in /tmp/*|/run/*|/var/*) RO_BINDS="$RO_BINDS $d";; esac
  done
  printf 'RO_BINDS=%q\n' "$RO_BINDS"
  echo "KVER=$KVER"
  echo "VERBOSE=$VERBOSE"
  case "$PRELOAD" in
    ipvs) P=$IPVS_PRELOAD;;
    *) P=$PRELOAD;;
  esac
  printf 'PRELOAD=%q\n' "$P"
  [ -n "$PANEL_PORT" ] && echo "PANEL_NET=1" || echo "PANEL_NET=0"
} > "$RUN/ctl/env"

CONSOLE_LOG=$RUN/console.log
# Command stdout/stderr: guest virtio-serial ports -> qemu chardev "file" on a
# FIFO -> cat -> our fd 1/2. (If qemu opened /dev/fd/1 itself it would get a
# new open file description with its own offset, and when our stdout is a
# regular file the caller's later writes would overwrite the VM's output.)
mkfifo "$RUN/out.fifo" "$RUN/err.fifo" "$RUN/con.fifo"
cat "$RUN/out.fifo" & CAT1=$!
cat "$RUN/err.fifo" >&2 & CAT2=$!
if [ $VERBOSE = 1 ]; then tee "$CONSOLE_LOG" < "$RUN/con.fifo" >&2 & CAT3=$!
else cat "$RUN/con.fifo" > "$CONSOLE_LOG" & CAT3=$!; fi
CATS=("$CAT1" "$CAT2" "$CAT3")
if [ $VERBOSE = 1 ]; then QUIET=""; else QUIET="quiet loglevel=3"; fi

case "$MACHINE" in
  microvm)
    # microvm has no HPET/ACPI-PM timer; under TCG the PIT-based TSC
    # calibration fails ~1 boot in 9 ("Marking TSC unstable") and the guest
    # then hangs. Give the TSC frequency explicitly (TCG's guest TSC is the
    # host TSC; "cpu MHz" is the TSC frequency when the host is itself a VM or
    # reports tsc_known_freq). Otherwise fall back to -machine pc (~2 s slower).
    TSC_KHZ=${LVSLAB_TSC_KHZ:-}
    if [ -z "$TSC_KHZ" ] && grep -qwE 'tsc_known_freq|hypervisor' /proc/cpuinfo; then
      TSC_KHZ=$(awk '/^cpu MHz/{printf "%d", $4*1000; exit}' /proc/cpuinfo)
    fi
    if [ -n "$TSC_KHZ" ]; then
      KAPPEND="tsc_early_khz=$TSC_KHZ $KAPPEND"
      MOPT=(-machine microvm,acpi=on); VDEV=device
    else
      log "cannot determine the TSC frequency, using -machine pc"
      MOPT=(-machine pc); VDEV=pci
    fi;;
  pc) MOPT=(-machine pc); VDEV=pci;;
  *) echo "[lab] bad machine $MACHINE" >&2; exit 2;;
esac

# Network: none at all by default. With --panel-port, one user-mode NIC with
# restrict=on (no route out of the VM) whose only hole is a guestfwd from
# 10.0.2.100:3000 in the guest to 127.0.0.1:PORT on the host. "cmd:" starts one
# relay per guest connection, so the panel may start after the VM and many
# connections may be open at once.
if [ -n "$PANEL_PORT" ]; then
  RELAY="$RUN/relay.sh"
  cat > "$RELAY" <<EOF
#!/bin/sh
exec busybox nc 127.0.0.1 $PANEL_PORT
EOF
  chmod +x "$RELAY"
  NETOPT=(-netdev "user,id=n0,restrict=on,net=10.0.2.0/24,guestfwd=tcp:10.0.2.100:3000-cmd:$RELAY"
          -device "virtio-net-$VDEV,netdev=n0")
else
  NETOPT=(-nic none)
fi

log "booting VM: ${MEM}M, $CPUS vCPU, root=$ROOTMODE, share=$SHARE, panel port=${PANEL_PORT:-none}"
set +e
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
  -nodefaults -no-user-config "${NETOPT[@]}" -display none -monitor none \
  "${MOPT[@]}" -accel tcg,thread=$TCG_THREAD -cpu max -m "$MEM" -smp "$CPUS" \
  -no-reboot -serial file:"$RUN/con.fifo" \
  -kernel "$BUILD/$KIMG" -initrd "$BUILD/initrd.cpio" \
  -append "console=ttyS0 $QUIET panic=-1 8250.nr_uarts=1 mitigations=off tsc=reliable norandmaps $KAPPEND" \
  -fsdev local,id=fs0,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-$VDEV,fsdev=fs0,mount_tag=hostroot \
  -fsdev local,id=fs1,path="$SHARE",security_model=none,multidevs=remap \
  -device virtio-9p-$VDEV,fsdev=fs1,mount_tag=share \
  -fsdev local,id=fs2,path="$RUN/ctl",security_model=none \
  -device virtio-9p-$VDEV,fsdev=fs2,mount_tag=ctl \
  -device virtio-serial-$VDEV \
  -chardev file,id=out,path="$RUN/out.fifo" -device virtserialport,chardev=out,name=stdout,nr=1 \
  -chardev file,id=err,path="$RUN/err.fifo" -device virtserialport,chardev=err,name=stderr,nr=2 &
QPID=$!
wait $QPID; QRC=$?; QPID=
# if qemu died before opening the FIFOs, unblock the readers
sleep 0.1
for f in out:$CAT1 err:$CAT2 con:$CAT3; do
  kill -0 "${f#*:}" 2>/dev/null && { timeout 2 sh -c ": > '$RUN/${f%%:*}.fifo'" 2>/dev/null & }
done
wait "$CAT1" "$CAT2" "$CAT3" 2>/dev/null
CATS=()
cp "$CONSOLE_LOG" "$BUILD/last-console.log" 2>/dev/null
set -e
if [ $QRC = 124 ] || [ $QRC = 137 ]; then
  echo "[lab] TIMEOUT after ${TIMEOUT}s" >&2
  [ $VERBOSE = 1 ] || tail -n 30 "$CONSOLE_LOG" >&2 || true
  exit 124
fi
if [ -f "$RUN/ctl/rc" ]; then
  exit "$(cat "$RUN/ctl/rc")"
fi
echo "[lab] VM ended without an exit code (qemu rc=$QRC); console tail:" >&2
[ $VERBOSE = 1 ] || tail -n 40 "$CONSOLE_LOG" >&2 || true
exit 125
