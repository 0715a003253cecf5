#!/bin/sh
# Installs what the user-mode Linux kernel test harness (test/uml/run.ts) needs.
# Idempotent: apt is only touched when a package is missing.
#   user-mode-linux  the 6.1 UML kernel (`linux`) and its modules (ip6_tunnel, mip6, esp6, ...)
#   gcc libc6-dev    cc for test/uml/xstate-preload.c (UML 6.1 on AVX-512/AMX hosts)
#   kmod             modprobe, run inside UML against /usr/lib/uml/modules
#   iproute2         ip (links, nexthops, xfrm, neigh) for tests and the init script
#   procps           sysctl
#   util-linux       mount, setsid (Essential on Debian, listed to be explicit)
#   tshark tcpdump   packet captures for kernel tests that look at the wire
#   systemd          systemd-analyze verify for the unit file test
#   iputils-ping     ping: ICMPv6 echo to the home address in the end-to-end tests
#   radvd            router advertisements with the H bit and Home Agent Information (DHAAD test)
#   etcd-server      etcd v3, the shared store of cluster mode (host tests start it on loopback)
#   etcd-client      etcdctl, to read the cluster's keys by hand and from tests
set -eu

PACKAGES="user-mode-linux gcc libc6-dev kmod iproute2 procps util-linux tshark tcpdump systemd iputils-ping radvd etcd-server etcd-client"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "uml-deps: all present ($PACKAGES)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

echo "uml-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "uml-deps: done"
