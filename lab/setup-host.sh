#!/bin/bash
# Installs the Debian packages the lab uses (Debian 12); lab.sh runs it before
# every boot. The VM runs the HOST's binaries (its root filesystem is the
# host's, read-only), so everything used inside the VM — ipvsadm, nft,
# iptables, curl, busybox, node — is installed here. Installs only what is
# missing (needs root and apt). -q: print nothing when all is present.
set -euo pipefail
PKGS="qemu-system-x86 kmod cpio xz-utils ipvsadm nftables iptables busybox-static
      curl iproute2 procps time util-linux jq"
# shellcheck disable=SC2086
installed=$(dpkg-query -W -f '${Package} ${db:Status-Status}\n' $PKGS 2>/dev/null | awk '$2=="installed"{print $1}')
missing=$(for p in $PKGS; do grep -qx "$p" <<< "$installed" || echo "$p"; done)
if [ -z "$missing" ]; then
  [ "${1:-}" = -q ] || echo "[lab] all host packages present"
  exit 0
fi
echo "[lab] installing:" $missing >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2
