#!/bin/bash
# init.sh HOSTDIR -- PID 1 of one boot of a simulated host.
# The lab (lab/lab.py) starts it as
#   unshare --mount --uts --ipc --pid --fork --kill-child --propagation private -- bash init.sh HOSTDIR
# Every mount made here lives only in this boot's mount namespace: when this process exits (reboot,
# halt, boot failure) or is SIGKILLed (power cut), the kernel kills every process of the host and the
# mounts disappear. Exit codes: 42 reboot, 43 halt/power off, 44 power cut and 45 reset at a fault point,
# 50 boot failure (host stays down), 60 seeding failed.
set -u
H=$1
D=$(cd "$(dirname "$0")/.." && pwd)          # test/testbed
C=$H/ctl
R=$H/root
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
. "$C/host.env"
log() { printf '[%s %s init] %s\n' "$(date +%T.%3N)" "$NAME" "$*" >> "$C/console.log"; }
die() { log "$*"; exit 50; }
# our PID in the machine's PID namespace (/proc is still the machine's here), for power cuts
read -r gpid _ < /proc/self/stat
echo "$gpid" > "$C/init.pid"

# ---- the disks -----------------------------------------------------------------------------------
mount -t overlay "$ROOTDEV" -o "lowerdir=/,upperdir=$H/upper,workdir=$H/work" "$R" || die "cannot mount the root fs"
mount -t tmpfs -o mode=755,size=8m,nosuid devtmpfs "$R/dev" || die "cannot mount /dev"
for n in "null c 1 3" "zero c 1 5" "full c 1 7" "random c 1 8" "urandom c 1 9" "tty c 5 0" "console c 5 1"; do
  set -- $n; mknod -m 666 "$R/dev/$1" "$2" "$3" "$4"
done
chmod 600 "$R/dev/console"
mkdir -m 755 "$R/dev/pts" "$R/dev/shm" "$R/dev/mapper"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o mode=1777,size=64m shm "$R/dev/shm"
mount -t proc proc "$R/proc"
if [ "$BOOTPART" = 1 ]; then
  # the /boot partition: the image the lab loop-mounted, mounted again here as /dev/sda1 (same file system)
  mknod -m 660 "$R/dev/sda1" b "${BOOTDEV%%:*}" "${BOOTDEV##*:}"
  chroot "$R" /usr/bin/mount -t ext4 -o rw,relatime /dev/sda1 /boot 2>>"$C/console.log" || die "cannot mount /boot"
fi
mount --bind "$D/host" "$R/usr/lib/dom0up-testbed" && mount -o remount,bind,ro "$R/usr/lib/dom0up-testbed"
mount -t tmpfs -o mode=755,size=64m,nosuid,nodev run "$R/run"
mkdir -m 755 "$R/run/sshd" "$R/run/testbed" "$R/run/testbed/faults" "$R/run/testbed/fired" "$R/run/lock"
cp "$C/spec.json" "$R/run/testbed/host.json"
mount --bind "$C/faults" "$R/run/testbed/faults" && mount -o remount,bind,ro "$R/run/testbed/faults"
# fault points record their firings here (host/tb/faultpoints.py), read from outside as ctl/fired
mkdir -p "$C/fired" && mount --bind "$C/fired" "$R/run/testbed/fired"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"

# ---- first power-on: the CentOS 6.10 installation -----------------------------------------------
if [ ! -e "$C/seeded" ]; then
  log "first boot: installing CentOS (seed)"
  chroot "$R" /usr/bin/python3 -I -B -c 'import sys; sys.path.insert(0, "/usr/lib/dom0up-testbed"); from tb import seed; sys.exit(seed.main())' \
    < "$C/seed.json" >> "$C/seed.log" 2>&1 || { log "seeding failed (see seed.log)"; exit 60; }
  cp "$R/etc/ssh/ssh_host_rsa_key.pub" "$C/hostkey.pub"
  sync -f "$R/etc" 2>/dev/null
  touch "$C/seeded"
fi

# ---- the firmware: GRUB, then Linux or Xen ---------------------------------------------------------
RESULT=bootfail PANIC_REBOOT=0 HYP=none
eval "$(/usr/bin/python3 -I -B "$D/lab/boot.py" "$H" "$R" 2>>"$C/console.log")"
case "$RESULT" in
  up) ;;
  panic)
    if [ "$PANIC_REBOOT" = 1 ]; then
      sleep "$(awk "BEGIN{print ${PANIC_MS:-5000}/1000}")"
      log "rebooting after the panic"; exit 42
    fi
    exit 50 ;;
  *) exit 50 ;;
esac

# ---- the booted kernel: what /proc and /sys report -------------------------------------------------
hostname "$NAME"
robind() { mount --bind "$1" "$2" && mount -o remount,bind,ro "$2"; }
for f in meminfo cpuinfo cmdline version; do robind "$C/run/$f" "$R/proc/$f"; done
mount --bind "$R/proc/sys" "$R/proc/sys" && mount -o remount,bind,ro "$R/proc/sys"
robind "$C/run/boot_id" "$R/proc/sys/kernel/random/boot_id"
robind "$C/run/osrelease" "$R/proc/sys/kernel/osrelease"
robind "$C/run/kversion" "$R/proc/sys/kernel/version"
[ -e "$R/proc/sysrq-trigger" ] && mount --bind "$R/dev/null" "$R/proc/sysrq-trigger"
# /sys/firmware/efi exists only on UEFI hosts
if [ -d "$R/sys/firmware" ]; then
  mkdir -p "$C/run/firmware"
  mount -t tmpfs -o mode=755,size=1m firmware "$R/sys/firmware"
  for d in /sys/firmware/*; do
    b=${d##*/}; [ "$b" = efi ] && continue
    [ -d "$d" ] && mkdir -p "$R/sys/firmware/$b" && robind "$d" "$R/sys/firmware/$b" 2>/dev/null
  done
  [ "${UEFI:-0}" = 1 ] && mkdir -p "$R/sys/firmware/efi/efivars" "$R/sys/firmware/efi/vars"
  mount -o remount,ro "$R/sys/firmware" 2>/dev/null
fi
for f in boot.json uname.env xen-dmesg; do [ -e "$C/run/$f" ] && cp "$C/run/$f" "$R/run/testbed/$f"; done
for d in proc-xen sys-hypervisor; do [ -d "$C/run/$d" ] && cp -r "$C/run/$d" "$R/run/testbed/$d"; done
touch "$R/var/lock/subsys/network" 2>/dev/null

# ---- userspace: sshd (S55) ------------------------------------------------------------------------
if [ -e "$C/faults/host-key-change" ]; then
  rm -f "$R/etc/ssh/ssh_host_rsa_key" "$R/etc/ssh/ssh_host_rsa_key.pub"
  chroot "$R" /usr/bin/ssh-keygen -q -t rsa -b 2048 -N '' -C '' -f /etc/ssh/ssh_host_rsa_key </dev/null
  cp "$R/etc/ssh/ssh_host_rsa_key.pub" "$C/hostkey.pub"
  rm -f "$C/faults/host-key-change"
  log "new host key generated (fault knob host-key-change)"
fi
# a fault point cuts the power or resets the machine from inside: SIGPWR (host/tb/faultpoints.py)
want=none
trap 'want=power' PWR
chroot "$R" /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config 2>>"$C/sshd.log" &
sshd=$!
trap 'want=reboot' USR1
trap 'want=halt' USR2 TERM
echo up > "$C/state"
log "up: sshd listening on $ADDR:$PORT"
while :; do
  wait "$sshd"; rc=$?
  [ "$want" != none ] && break
  if ! kill -0 "$sshd" 2>/dev/null; then
    log "sshd exited (rc=$rc); the host stays up without ssh"
    sleep infinity & sshd=$!
  fi
done
if [ "$want" = power ]; then
  kill -STOP -1 2>/dev/null      # freeze every process of the host at once, then end the boot
  act=$(cat "$R/run/testbed/power-action" 2>/dev/null)
  [ "$act" = reset ] && { log "reset at a fault point"; exit 45; }
  log "power cut at a fault point"; exit 44
fi
cmd=$(cat "$R/run/testbed/reboot-command" 2>/dev/null)
log "$want requested${cmd:+ by '$cmd'}; going down in ${REBOOT_DELAY_MS}ms"
sleep "$(awk "BEGIN{print ${REBOOT_DELAY_MS}/1000}")"
# PID 1 exiting makes the kernel SIGKILL every process of this PID namespace (sshd and all
# sessions: clients see the connection close) and drops all mounts of the host.
[ "$want" = reboot ] && exit 42
exit 43
