#!/usr/bin/env bash
# Installs the Debian packages the whole test suite needs (idempotent):
# Chromium for Playwright, PostgreSQL for the integration suite, and QEMU plus
# the IPVS/network tools the real-kernel lab runs (the VM uses the host's
# binaries over 9p, so everything used inside the VM is installed here).
set -euo pipefail
PKGS="chromium postgresql qemu-system-x86 kmod cpio xz-utils ipvsadm nftables iptables
      busybox-static curl iproute2 procps time util-linux
      ldirectord"   # ldirectord: the reference in bench/health-detection.sh (#6)
missing=$(for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -z "$missing" ]; then
  echo "test packages: all present"
  exit 0
fi
echo "test packages: installing" $missing
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
