#!/bin/sh
# /init of the lab initramfs (busybox sh), built by lab/lab.sh. Loads modules,
# mounts the host root (9p, read-only) + a RAM overlay, chroots into it and runs
# the command (/ctl/cmd.sh) with stdout/stderr on virtio-serial ports that qemu
# relays to the host's fds 1/2, then writes its exit code to /ctl/rc.
export PATH=/bin:/sbin
KVER=$(uname -r)
mount -t proc proc /proc
T0=$(cut -d' ' -f1 /proc/uptime)
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

halt_vm() { sync; poweroff -f; sleep 5; reboot -f; }
fail() {
  echo "lab-init: FATAL: $*" > /dev/console
  [ -d /ctl ] && echo 125 > /ctl/rc 2>/dev/null
  halt_vm
}

load_mods() {
  while read -r m; do
    insmod "/lib/modules/$KVER/$m" 2>/dev/console || echo "lab-init: insmod $m failed" > /dev/console
  done < "$1"
}
load_mods /modules.boot
O9P="trans=virtio,version=9p2000.L,msize=512000"
mount -t 9p -o "$O9P" ctl /ctl || fail "mount ctl"
. /ctl/env
# other modules are loaded on demand by the kernel (request_module ->
# /sbin/modprobe = busybox, using the depmod'ed tree in the initramfs)
case "$PRELOAD" in
  all) load_mods /modules.net;;
  none|"") ;;
  *) for m in $PRELOAD; do modprobe "$m" || echo "lab-init: modprobe $m failed" > /dev/console; done;;
esac
T1=$(cut -d' ' -f1 /proc/uptime)
mount -t 9p -o "$O9P,ro,cache=loose" hostroot /host || fail "mount hostroot"
mount -t 9p -o "$O9P" share /share || fail "mount share"

N=/newroot
if [ "$ROOTMODE" = overlay ]; then
  mount -t tmpfs -o mode=755 rw /rw
  mkdir -p /rw/upper /rw/work
  mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay $N || fail "overlay mount"
  mount -t tmpfs -o mode=755 run $N/run
  mkdir -p $N/share $N/lib/modules
  mount --bind /lib/modules $N/lib/modules
  mount --bind /share $N/share
else
  mount --bind /host $N || fail "bind hostroot"
  for d in tmp var run; do mount -t tmpfs -o mode=755 $d $N/$d; done
  chmod 1777 $N/tmp
  mkdir -p $N/var/tmp $N/var/lib $N/var/log $N/var/cache $N/var/spool $N/run/lock
  chmod 1777 $N/var/tmp
  ln -s /run $N/var/run; ln -s /run/lock $N/var/lock
  for d in $RO_BINDS; do
    mkdir -p "$N$d" && mount --bind "/host$d" "$N$d"
  done
fi
mount -t proc proc $N/proc
mount -t sysfs sysfs $N/sys
mount -t devtmpfs devtmpfs $N/dev
mkdir -p $N/dev/pts $N/dev/shm
# devtmpfs lacks the symlinks udev would create; bash's <(...) needs /dev/fd
ln -sf /proc/self/fd $N/dev/fd
ln -sf /proc/self/fd/0 $N/dev/stdin
ln -sf /proc/self/fd/1 $N/dev/stdout
ln -sf /proc/self/fd/2 $N/dev/stderr
ln -sf /proc/kcore $N/dev/core 2>/dev/null
mount -t devpts -o ptmxmode=666,gid=5,mode=620 devpts $N/dev/pts
mount -t tmpfs -o mode=1777 shm $N/dev/shm
# the share also appears at its host path, so host and guest paths are identical
if [ -n "$SHAREPATH" ] && [ "$SHAREPATH" != / ]; then
  mkdir -p "$N$SHAREPATH" 2>/dev/null
  mount --bind /share "$N$SHAREPATH" 2>/dev/null || echo "lab-init: cannot bind share at $SHAREPATH" > /dev/console
fi
hostname lvslab
ip link set lo up
if [ "$PANEL_NET" = 1 ]; then
  # lab.sh --panel-port: user-mode NIC whose only reachable peer is
  # 10.0.2.100:3000 (guestfwd to the host's 127.0.0.1:PORT)
  modprobe virtio_net || echo "lab-init: modprobe virtio_net failed" > /dev/console
  ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 || echo "lab-init: eth0 setup failed" > /dev/console
fi

OUT=/dev/console; ERR=/dev/console
for p in /sys/class/virtio-ports/*; do
  [ -f "$p/name" ] || continue
  case "$(cat "$p/name")" in
    stdout) OUT=/dev/${p##*/};;
    stderr) ERR=/dev/${p##*/};;
  esac
done
cp /ctl/cmd.sh $N/run/lvslab-cmd.sh
T2=$(cut -d' ' -f1 /proc/uptime)
echo "lab-init: modules ${T0}->${T1}s, ready at ${T2}s" > /dev/console
chroot $N /bin/bash /run/lvslab-cmd.sh < /dev/null > "$OUT" 2> "$ERR"
rc=$?
T3=$(cut -d' ' -f1 /proc/uptime)
echo "lab-init: command exited rc=$rc at ${T3}s" > /dev/console
echo $rc > /ctl/rc
halt_vm
