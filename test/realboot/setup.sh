#!/bin/bash
# Set-up for the real-boot tier (Debian 12, root, Debian apt only). Idempotent, and fast (<1 s) when done.
#  - installs: qemu-system-x86, xen-hypervisor-4.17-amd64, xen-utils-4.17, busybox-static (+ cpio, fdisk,
#    e2fsprogs, libc6-i386 for Debian's 32-bit GRUB Legacy shell; qemu-user for `qemu-i386`, which runs the 32-bit
#    GRUB shells where the kernel cannot run 32-bit programs; gcc-multilib autoconf automake texinfo patch xz-utils
#    to build Red Hat's GRUB)
#  - downloads and unpacks with `dpkg -x` (never installs): the kernel package behind linux-image-amd64, grub-legacy
#  - builds the stand-in dom0 initramfs (mkinitramfs.sh)
#  - builds CentOS 6's own GRUB, grub-0.97-99.el6, from shared/vendor/grub-el6 (build-rhel-grub.sh), cached by a
#    fingerprint of the source tarball, the build script and the compiler
# Output: $DOM0UP_REALBOOT_WORK/artifacts (default /tmp/dom0up-realboot/artifacts); prints one summary line per part.
# The source of Red Hat's GRUB: $DOM0UP_GRUB_EL6_SRC (the .src tarball or its folder), else shared/vendor/grub-el6
# found in a parent folder of the repository (as CI lays shared/ beside the clone).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${DOM0UP_REALBOOT_WORK:-/tmp/dom0up-realboot}
ART=$WORK/artifacts
XENV=${DOM0UP_REALBOOT_XEN:-4.17}
PKGS="qemu-system-x86 xen-hypervisor-$XENV-amd64 xen-utils-$XENV busybox-static cpio fdisk e2fsprogs libc6-i386"
# Red Hat's GRUB: the build, and qemu-i386 for its 32-bit shell where the kernel has no IA32 emulation
BUILD_PKGS="qemu-user gcc-multilib autoconf automake texinfo patch xz-utils"
t0=$(date +%s.%N)
el() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

# Fingerprint: a change to these scripts or to the installed package versions rebuilds the artifacts.
fingerprint() {
  (cat "$HERE/setup.sh" "$HERE/mkinitramfs.sh"; dpkg-query -W -f='${Package}=${Version}\n' $PKGS 2>/dev/null) | sha256sum | cut -c1-16
}

missing_pkgs() {
  local p miss=""
  for p in $PKGS $BUILD_PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || miss="$miss $p"
  done
  echo "$miss"
}

artifacts_ok() {
  local f
  [ -f "$ART/stamp" ] && [ "$(cat "$ART/stamp")" = "$(fingerprint)" ] || return 1
  for f in KV XENGZ_NAME vmlinuz xen.gz initramfs.img grub/grub-shell grub/stage1 grub/stage2 grub/e2fs_stage1_5; do
    [ -s "$ART/$f" ] || return 1
  done
}

# --- Red Hat's GRUB: where its source is, and the fingerprint of a build
el6_src() {
  local d c
  if [ -n "${DOM0UP_GRUB_EL6_SRC:-}" ]; then
    if [ -d "$DOM0UP_GRUB_EL6_SRC" ]; then ls "$DOM0UP_GRUB_EL6_SRC"/grub-0.97-*.el6-source.tar.xz 2>/dev/null | head -1; else echo "$DOM0UP_GRUB_EL6_SRC"; fi
    return
  fi
  d=$HERE
  while [ "$d" != / ]; do
    c=$(ls "$d"/shared/vendor/grub-el6/grub-0.97-*.el6-source.tar.xz 2>/dev/null | head -1)
    [ -n "$c" ] && { echo "$c"; return; }
    d=$(dirname "$d")
  done
}
EL6=$(el6_src)
[ -n "$EL6" ] && [ -f "$EL6" ] || { echo "realboot setup: the source of grub-0.97-99.el6 was not found (shared/vendor/grub-el6 beside the repository, or DOM0UP_GRUB_EL6_SRC)" >&2; exit 2; }
rhel_fingerprint() {
  (sha256sum < "$EL6"; cat "$HERE/build-rhel-grub.sh"; gcc --version 2>/dev/null | head -1; dpkg-query -W -f='${Version}\n' gcc-multilib libc6-dev-i386 2>/dev/null) | sha256sum | cut -c1-16
}
RH=$ART-rhel-grub
rhel_ok() {
  local f
  [ -f "$RH/stamp" ] && [ "$(cat "$RH/stamp")" = "$(rhel_fingerprint)" ] || return 1
  for f in grub stage1 stage2 e2fs_stage1_5; do [ -s "$RH/$f" ] || return 1; done
}

if [ -z "$(missing_pkgs)" ] && artifacts_ok && rhel_ok; then
  echo "realboot setup: up to date (KV=$(cat "$ART/KV"), artifacts=$ART, Red Hat GRUB=$RH (fingerprint $(cat "$RH/stamp")), $(el)s)"
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "realboot setup: must run as root (apt-get)" >&2; exit 1; }
MISS=$(missing_pkgs)
if [ -n "$MISS" ]; then
  command -v apt-get >/dev/null || { echo "realboot setup: missing packages:$MISS, and no apt-get to install them (a Debian 12 machine is needed)" >&2; exit 2; }
  apt-get update -qq
  # policy-rc.d-free machines would try to start xencommons here; that fails harmlessly outside Xen.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PKGS $BUILD_PKGS >/dev/null
fi
t1=$(el)

if ! rhel_ok; then
  RFP=$(rhel_fingerprint)
  rm -rf "$RH.tmp"
  "$HERE/build-rhel-grub.sh" "$EL6" "$RH.tmp" >/dev/null
  echo "$RFP" > "$RH.tmp/stamp"
  rm -rf "$RH"; mv "$RH.tmp" "$RH"
  echo "realboot setup: built grub-0.97-99.el6 from $EL6 into $RH (fingerprint $RFP, $(el)s)"
fi
if artifacts_ok; then
  echo "realboot setup: done (apt ${t1}s, total $(el)s, KV=$(cat "$ART/KV"), artifacts=$ART)"
  exit 0
fi
FP=$(fingerprint)

rm -rf "$ART.tmp"; mkdir -p "$ART.tmp"; cd "$ART.tmp"
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
if [ -z "$KPKG" ]; then apt-get update -qq; KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}'); fi
[ -n "$KPKG" ] || { echo "realboot setup: cannot resolve the kernel package behind linux-image-amd64" >&2; exit 1; }
apt-get download -qq "$KPKG" grub-legacy 2>/dev/null || { apt-get update -qq; apt-get download -qq "$KPKG" grub-legacy; }
dpkg -x "$KPKG"_*.deb kernel
dpkg -x grub-legacy_*.deb glegacy
rm -f ./*.deb
KV=$(ls kernel/lib/modules); echo "$KV" > KV
cp "kernel/boot/vmlinuz-$KV" vmlinuz
XENGZ=$(ls /boot/xen-"$XENV"-amd64.gz 2>/dev/null || ls /boot/xen-*.gz | head -1)
cp -L "$XENGZ" xen.gz
basename "$XENGZ" > XENGZ_NAME
"$HERE/mkinitramfs.sh" "$ART.tmp/kernel" "$ART.tmp/initramfs.img" "/usr/lib/xen-$XENV/bin" >/dev/null
# GRUB Legacy: only the shell (for `install`) and the stage files are used.
mkdir -p grub; cp glegacy/usr/lib/grub/x86_64-pc/{stage1,stage2,e2fs_stage1_5} grub/
cp glegacy/usr/sbin/grub grub/grub-shell
rm -rf kernel glegacy
echo "$FP" > stamp
rm -rf "$ART"; mv "$ART.tmp" "$ART"
echo "realboot setup: done (apt ${t1}s, total $(el)s, KV=$KV, kernel=$KPKG, xen=$(basename "$XENGZ"), artifacts=$ART)"
