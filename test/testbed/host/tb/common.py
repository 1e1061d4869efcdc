"""Shared constants and small helpers for the simulated host."""
import json
import os
import sys
import time

# where a booted host keeps its per-boot state (a tmpfs, gone at the next boot)
RUN = os.environ.get('TB_RUN_DIR', '/run/testbed')
RPMDB = '/var/lib/rpm/.testbed-rpmdb.json'

XEN_VERSION = '4.10.4.134.g6ea37c69c7'
XEN_RELEASE = '2.el6'
XEN_FULL = XEN_VERSION + '-' + XEN_RELEASE          # 4.10.4.134.g6ea37c69c7-2.el6
XEN_KVER = '4.9.241-37.el6'                         # Virt SIG dom0 kernel (version-release)
STOCK_KVER = '2.6.32-754.el6'
# the last kernel update of CentOS 6.10 (vault.centos.org/6.10/updates, Nov 2020)
STOCK_UPDATE_KVER = '2.6.32-754.35.1.el6'

XEN_KERNEL_SYSCONFIG = (
    'BOOT_XEN_AS_DEFAULT="yes"\n'
    'XEN_KERNEL_ARGS="dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all"\n'
    'LINUX_XEN_KERNEL_ARGS="console=hvc0 earlyprintk=xen nomodeset"\n')

MiB = 1024 * 1024


def now_ms():
    return int(time.time() * 1000)


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def write_json(path, obj):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def host_config():
    """The host's spec (memory, CPUs, delays, ...) as copied to /run/testbed/host.json at boot."""
    return read_json(os.path.join(RUN, 'host.json'), {}) or {}


def boot_state():
    """What the firmware booted: /run/testbed/boot.json."""
    return read_json(os.path.join(RUN, 'boot.json'), {}) or {}


def fault(name):
    """Value of a fault knob set from outside (None when unset). Files under /run/testbed/faults."""
    try:
        with open(os.path.join(RUN, 'faults', name)) as f:
            return f.read()
    except OSError:
        return None


def sleep_ms(ms):
    if ms and ms > 0:
        time.sleep(ms / 1000.0)


def kernel_arch(cfg=None):
    cfg = cfg if cfg is not None else host_config()
    return cfg.get('arch') or 'x86_64'


def basearch(arch):
    return 'i386' if arch in ('i386', 'i486', 'i586', 'i686') else arch


def out(s=''):
    sys.stdout.write(s + '\n')
    sys.stdout.flush()


def err(s=''):
    sys.stderr.write(s + '\n')
    sys.stderr.flush()


def stock_files(arch='x86_64'):
    """Name and (size in bytes) of the files anaconda leaves in /boot on CentOS 6.10 (kernel 2.6.32-754)."""
    k = STOCK_KVER + '.' + arch
    return [
        ('vmlinuz-' + k, 4_264_528, 'linux', k),
        ('initramfs-' + k + '.img', 17_310_000, 'initramfs', k),
        ('System.map-' + k, 2_631_000, 'data', k),
        ('config-' + k, 107_000, 'data', k),
        ('symvers-' + k + '.gz', 258_000, 'data', k),
        ('.vmlinuz-' + k + '.hmac', 167, 'data', k),
    ]


def magic(kind, ident):
    """First line of a simulated boot file: the firmware tells kernels, hypervisors and initramfs
    images apart by content, as GRUB and Xen do (not by file name)."""
    return ('TESTBED:%s:%s\n' % (kind, ident)).encode()


def write_boot_file(path, kind, ident, size):
    """Write a simulated kernel/initramfs/... file of a realistic size. The bulk is allocated with
    posix_fallocate (real blocks, counted by df; a full file system gives a real ENOSPC)."""
    head = magic(kind, ident)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644 if not os.path.basename(path).startswith('System.map') else 0o644)
    try:
        os.write(fd, head)
        if size > len(head):
            try:
                os.posix_fallocate(fd, 0, size)
            except OSError as e:
                if e.errno in (95,):   # EOPNOTSUPP: write zeros instead
                    os.lseek(fd, len(head), 0)
                    left = size - len(head)
                    chunk = b'\0' * (1 << 20)
                    while left > 0:
                        n = os.write(fd, chunk[:min(left, len(chunk))])
                        left -= n
                else:
                    raise
    finally:
        os.close(fd)


def read_magic(path):
    """(kind, ident) of a simulated boot file, or (None, None)."""
    try:
        with open(path, 'rb') as f:
            head = f.read(200)
    except OSError:
        return None, None
    if not head.startswith(b'TESTBED:'):
        return None, None
    line = head.split(b'\n', 1)[0].decode('ascii', 'replace')
    parts = line.split(':', 2)
    if len(parts) < 3:
        return None, None
    return parts[1], parts[2]
