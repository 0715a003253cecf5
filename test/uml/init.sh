# PID 1 inside user-mode Linux for the mcoa kernel tests. Started by test/uml/run.ts as
# `init=/bin/sh -- <this file>`, so it needs no execute bit. POSIX sh (dash): no pipefail.
#
# The host root file system is the root here (hostfs, read-only), so host paths are the
# same inside. Settings arrive from the kernel command line as environment variables:
#   MCOA_UML_CTL       host directory with tests.list (one test file per line); it is
#                      mounted writable and receives `exit-status` or `init-error`
#   MCOA_UML_REPO      repository root; the tests run with it as working directory
#   MCOA_UML_REPORTER  node --test reporter (spec, tap, dot)
#   MCOA_UML_COLOR     1 to let the reporter use colours
#   MCOA_UML_MODULES   extra modules that must load (comma separated, may be empty)
#   MCOA_UML_NODE      the host's node binary (process.execPath), so the same one runs here
# Lines starting with "mcoa-uml:" are markers that run.ts reads; keep their wording.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umask 022
RES=/run/mcoa-uml/results
MODROOT=/run/mcoa-uml/modroot

echo "mcoa-uml: init started"

power_off() {
  sync
  umount "$RES" 2>/dev/null
  poweroff -f >/dev/null 2>&1
  # poweroff missing or refused: ask the kernel directly, and never return (PID 1 must not exit).
  echo o >/proc/sysrq-trigger
  while :; do sleep 60; done
}

fail() {
  echo "mcoa-uml: FAILED in init: $*"
  if [ -d "$RES" ] && mountpoint -q "$RES" 2>/dev/null; then
    echo "$*" >"$RES/init-error"
  fi
  power_off
}

# --- file systems -----------------------------------------------------------------------
# /proc first: power_off's fallback needs /proc/sysrq-trigger.
mount -t proc proc /proc || fail "mount /proc"
for v in MCOA_UML_CTL MCOA_UML_REPO MCOA_UML_REPORTER MCOA_UML_NODE; do
  eval "val=\${$v:-}"
  [ -n "$val" ] || fail "$v is not set on the kernel command line"
done
mount -t sysfs sysfs /sys || fail "mount /sys"
mount -t tmpfs -o mode=1777 tmpfs /tmp || fail "mount tmpfs on /tmp"
mount -t tmpfs -o mode=755 tmpfs /run || fail "mount tmpfs on /run"
# The Debian UML kernel mounts devtmpfs itself; mount it only where that did not happen.
[ -c /dev/null ] || mount -t devtmpfs devtmpfs /dev || fail "mount devtmpfs on /dev"
mkdir -p /dev/shm && mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mkdir -p "$RES" "$MODROOT"
mount -t hostfs -o "$MCOA_UML_CTL" none "$RES" || fail "mount hostfs $MCOA_UML_CTL on $RES"
# A repository under /tmp or /run (a CI clone, say) is hidden by the tmpfs mounts above:
# mount the host's copy back at the same path, read-only.
case "$MCOA_UML_REPO" in
  /tmp/* | /run/*)
    mkdir -p "$MCOA_UML_REPO" && mount -r -t hostfs -o "$MCOA_UML_REPO" none "$MCOA_UML_REPO" ||
      fail "mount hostfs $MCOA_UML_REPO (repository under a directory UML mounts over)"
    ;;
esac

# --- kernel modules ---------------------------------------------------------------------
# The modules live in /usr/lib/uml/modules/<version> and the read-only host root may have
# no /lib/modules, so modprobe gets a private root (-d) and the kernel's own on-demand
# loads (crypto algorithms, link kinds, xfrm types) go through a wrapper that adds it.
KVER=$(uname -r)
MODSRC=/usr/lib/uml/modules/$KVER
[ -d "$MODSRC" ] || fail "no module tree $MODSRC for kernel $KVER (user-mode-linux package)"
command -v modprobe >/dev/null || fail "modprobe not found (Debian package kmod)"
mkdir -p "$MODROOT/lib/modules/$KVER"
mount --bind "$MODSRC" "$MODROOT/lib/modules/$KVER" || fail "bind $MODSRC"
cat >/run/mcoa-uml/modprobe <<EOF
#!/bin/sh
exec $(command -v modprobe) -d $MODROOT "\$@"
EOF
chmod 755 /run/mcoa-uml/modprobe
echo /run/mcoa-uml/modprobe >/proc/sys/kernel/modprobe || fail "set kernel.modprobe"

REQUIRED="ipv6 ip6_tunnel mip6 xfrm_user esp6 veth $(echo "${MCOA_UML_MODULES:-}" | tr , ' ')"
OPTIONAL="tunnel6 xfrm6_tunnel ah6 ipcomp6 dummy gcm ghash-generic ctr seqiv echainiv authenc hmac cbc"
# One modprobe for many modules: each call costs about 0.1 s here.
/run/mcoa-uml/modprobe -a $REQUIRED || fail "modprobe could not load all of: $REQUIRED"
/run/mcoa-uml/modprobe -q -a $OPTIONAL
missing=""
for m in $OPTIONAL; do
  [ -d "/sys/module/$(echo "$m" | tr - _)" ] || missing="$missing $m"
done
loaded=$(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')
echo "mcoa-uml: kernel $KVER, modules: $loaded"
[ -z "$missing" ] || echo "mcoa-uml: optional modules not loaded:$missing"

# --- kernel settings --------------------------------------------------------------------
# An oops ends the run (the host then reports the kernel's messages) instead of leaving a
# test hanging until the timeout.
sysctl -q -w kernel.panic_on_oops=1 || fail "sysctl kernel.panic_on_oops"
ip link set lo up || fail "ip link set lo up"

# --- tests ------------------------------------------------------------------------------
cd "$MCOA_UML_REPO" || fail "cd $MCOA_UML_REPO"
set --
while IFS= read -r f; do
  [ -n "$f" ] && set -- "$@" "$f"
done <"$RES/tests.list"
[ "$#" -gt 0 ] || fail "tests.list is empty"

reporter=$MCOA_UML_REPORTER
node=$MCOA_UML_NODE
[ -x "$node" ] || fail "node binary $node is not visible inside UML (is it under /tmp or /run?)"
# Tests that spawn `node` find the same one first.
PATH=$(dirname "$node"):$PATH
export MCOA_IN_UML=1 HOME=/tmp TMPDIR=/tmp
if [ "${MCOA_UML_COLOR:-0}" = 1 ]; then export FORCE_COLOR=1; else export NO_COLOR=1; fi
unset MCOA_UML_CTL MCOA_UML_REPORTER MCOA_UML_COLOR MCOA_UML_MODULES MCOA_UML_NODE

if [ "$reporter" = exec ]; then
  echo "mcoa-uml: running $1 with $node"
  "$node" "$@" </dev/null
  rc=$?
else
  # One node --test per file, between markers, so the host can keep each file's output
  # whole and time it; the exit status is the first failing file's (0 when all pass).
  # --test-force-exit: a handle a failed test left open (a socket, a timer, a child) must not
  # keep the file's process, and the whole run, alive until the harness's limit.
  echo "mcoa-uml: running $# test file(s) with $node"
  rc=0
  for f in "$@"; do
    echo "mcoa-uml: file start $f"
    "$node" --test --test-reporter="$reporter" --test-force-exit "$f" </dev/null
    file_rc=$?
    echo "mcoa-uml: file end $file_rc $f"
    [ "$rc" -ne 0 ] || rc=$file_rc
  done
fi
echo "$rc" >"$RES/exit-status" || fail "write exit status"
echo "mcoa-uml: done, exit status $rc"
power_off
