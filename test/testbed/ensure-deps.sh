#!/bin/bash
# ensure-deps.sh -- installs what the SSH test bed needs on a Debian/Ubuntu machine, non-interactively:
#   openssh-server (only the sshd binary is used; the system ssh service is never started by the test bed)
#   sudo           (the simulated hosts' non-root login uses it, with CentOS 6's `Defaults requiretty`)
#   gcc, libc6-dev (the ld.so.preload library: /proc/xen and /sys/hypervisor on Xen boots, and the
#                  rename/write/exec fault points)
#   e2fsprogs, util-linux, mount, python3 (normally present)
# Kernel features (namespaces, overlayfs, loop devices) cannot be installed: test/testbed/machine.ts
# probes them and names what is missing.
# Exits 0 when everything is there (or was installed), non-zero with a reason on stderr otherwise.
# Safe to run repeatedly; does nothing when all is installed. Needs root to install.
set -u
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v sudo >/dev/null 2>&1 || [ -x /usr/bin/sudo ] || need+=(sudo)
command -v mkfs.ext4 >/dev/null 2>&1 || [ -x /usr/sbin/mkfs.ext4 ] || [ -x /sbin/mkfs.ext4 ] || need+=(e2fsprogs)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v losetup >/dev/null 2>&1 || [ -x /usr/sbin/losetup ] || [ -x /sbin/losetup ] || need+=(mount)
command -v gcc >/dev/null 2>&1 || command -v cc >/dev/null 2>&1 || need+=(gcc)
[ -e /usr/include/dlfcn.h ] && [ -e /usr/include/stdio.h ] || need+=(libc6-dev)
[ -x /usr/bin/python3 ] || need+=(python3)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ensure-deps: missing ${need[*]} and not root, cannot install" >&2; exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-deps: missing ${need[*]} and no apt-get on this machine" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "ensure-deps: installing ${need[*]}" >&2
# another apt run (another engineer, CI step) may hold the dpkg lock: wait for it
apt_opts=(-q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
# the package's postinst must not start a system sshd: on images without policy-rc.d, add a
# temporary one that denies service starts (removed afterwards)
tmp_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && tmp_policy=1
fi
rc=0
apt-get "${apt_opts[@]}" install --no-install-recommends "${need[@]}" >&2 || {
  apt-get -q -o DPkg::Lock::Timeout=300 update >&2 && apt-get "${apt_opts[@]}" install --no-install-recommends "${need[@]}" >&2
} || rc=$?
[ -n "$tmp_policy" ] && rm -f /usr/sbin/policy-rc.d
[ $rc = 0 ] || { echo "ensure-deps: apt-get install ${need[*]} failed (rc=$rc)" >&2; exit $rc; }
exit 0
