#!/bin/bash
# Set-up for the real-boot tier (Debian 12, root, Debian apt only). Idempotent, and fast (<1 s) when done.
#  - installs: qemu-system-x86, xen-hypervisor-4.17-amd64, xen-utils-4.17, busybox-static (+ cpio, fdisk,
#    e2fsprogs, libc6-i386 for the 32-bit GRUB Legacy shell)
#  - downloads and unpacks with `dpkg -x` (never installs): the kernel package behind linux-image-amd64, grub-legacy
#  - builds the stand-in dom0 initramfs (mkinitramfs.sh)
# Output: $DOM0UP_REALBOOT_WORK/artifacts (default /tmp/dom0up-realboot/artifacts); prints one summary line.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${DOM0UP_REALBOOT_WORK:-/tmp/dom0up-realboot}
ART=$WORK/artifacts
XENV=${DOM0UP_REALBOOT_XEN:-4.17}
PKGS="qemu-system-x86 xen-hypervisor-$XENV-amd64 xen-utils-$XENV busybox-static cpio fdisk e2fsprogs libc6-i386"
t0=$(date +%s.%N)
el() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

# Fingerprint: a change to these scripts or to the installed package versions rebuilds the artifacts.
fingerprint() {
  (cat "$HERE/setup.sh" "$HERE/mkinitramfs.sh"; dpkg-query -W -f='${Package}=${Version}\n' $PKGS 2>/dev/null) | sha256sum | cut -c1-16
}

missing_pkgs() {
  local p miss=""
  for p in $PKGS; do
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

if [ -z "$(missing_pkgs)" ] && artifacts_ok; then
  echo "realboot setup: up to date (KV=$(cat "$ART/KV"), artifacts=$ART, $(el)s)"
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "realboot setup: must run as root (apt-get)" >&2; exit 1; }
MISS=$(missing_pkgs)
if [ -n "$MISS" ]; then
  apt-get update -qq
  # policy-rc.d-free machines would try to start xencommons here; that fails harmlessly outside Xen.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
fi
t1=$(el)
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
