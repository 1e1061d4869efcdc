"""The next-boot oracle: which entry GRUB 0.97 (RHEL 6) boots NEXT on a host, and what happens after a
reset, computed by the test bed's own firmware (grub0.py + machine.py) WITHOUT changing anything.

Independent of dom0up: nothing here imports or mirrors the tool's grub code. It runs the same
power-on code the simulated hosts boot with, on a read-only view of the boot partition: the stage2
saved-entry word GRUB would consume (one-shot `savedefault --once`) or store (`savedefault` in an
entry) is written to an in-memory overlay, never to the disk.

  python3 -m tb.nextboot host BOOTROOT SPEC_JSON [FAULTS_DIR]   the boot partition of a host
      BOOTROOT: the directory GRUB's (hd0,0) is: the host's /boot file system when it is a partition,
      else the host's / (with /boot inside it)
  python3 -m tb.nextboot batch < cases.json                      no host: grub.conf text + files
      a case: {"conf": "...", "savedWord": 0, "bootPartition": true, "files": {...} | "auto",
               "spec": {...}, "faults": {...}}
      files "auto": every file a kernel/initrd/module line names exists, its kind taken from its
      name (xen*.gz -> hypervisor, vmlinuz-R -> Linux R, initramfs-R.img / initrd-R.img -> R's
      initramfs); give spec.rootDevice to also check root=.
Prints JSON: see summarize()."""
import json
import os
import re
import sys

from . import grub0, machine


class ReadOnlyFS:
    """A boot partition seen through GRUB, with the stage2 word writes kept in memory."""

    def __init__(self, fs):
        self.fs = fs
        self.words = {}

    def lookup(self, path):
        return self.fs.lookup(path)

    def head(self, path):
        return self.fs.head(path)

    def size(self, path):
        return self.fs.size(path)

    def read(self, path):
        return self.fs.read(path)

    def read_word(self, path, offset):
        key = (self.fs.lookup(path), offset)
        if key in self.words:
            return self.words[key]
        return self.fs.read_word(path, offset)

    def write_word(self, path, offset, value):
        self.words[(self.fs.lookup(path), offset)] = value & 0xFFFFFFFF


def summarize(rec, cfg, log):
    """One boot, as a test wants to assert it."""
    xen = rec.get('xen') or {}
    out = {
        'entryIndex': rec.get('entryIndex'),
        'title': rec.get('title'),
        'hypervisor': rec.get('hypervisor', 'none'),
        'xen': rec.get('hypervisor') == 'xen',
        'kernelRelease': rec.get('kernelRelease'),
        'xenCmdline': rec.get('xenCmdline'),
        'dom0Cmdline': rec.get('dom0Cmdline'),
        'cmdline': rec.get('cmdline'),
        'result': rec.get('result'),
        'boots': rec.get('result') == 'up',
        'error': rec.get('error'),
        'attempts': rec.get('attempts') or [],
        'once': rec.get('once'),
        'rebootAfterPanic': bool(rec.get('rebootAfterPanic')),
        'log': log,
    }
    if xen:
        out['dom0MemMiB'] = xen.get('dom0_mem_mib')
        out['dom0Vcpus'] = xen.get('vcpus')
    if cfg is not None:
        out['entries'] = [{'index': e['index'], 'title': e['title']} for e in cfg.entries]
        out['fallback'] = list(cfg.fallback_entries) if cfg.fallback_entryno >= 0 else []
        out['timeout'] = cfg.timeout
    else:
        out['entries'] = []
        out['fallback'] = []
        out['timeout'] = None
    return out


def predict(spec, bootfs, faults=None):
    """The next power-on, then the one after a reset (power cycle, panic reboot) that follows it."""
    ro = ReadOnlyFS(bootfs)
    bp = spec.get('bootPartition', True)
    parts = {(0, 0): ro, (0, 1): 'lvm' if bp else 'swap'}
    conf_path, stage2_path = machine.layout_paths(bp)
    try:
        word_in = ro.read_word(stage2_path, grub0.STAGE2_SAVED_OFFSET)
    except grub0.GrubError:
        word_in = None
    boots = []
    for _ in range(2):
        log = []
        rec, cfg = machine.power_on(spec, grub0.Machine(parts), faults or {}, log)
        one = summarize(rec, cfg, log)
        try:
            one['savedWordAfter'] = ro.read_word(stage2_path, grub0.STAGE2_SAVED_OFFSET)
        except grub0.GrubError:
            one['savedWordAfter'] = None
        # the permanent default: where GRUB starts once no one-shot boot is pending
        try:
            data = ro.read(conf_path)
            perm = grub0.parse(data, one['savedWordAfter'] or 0)
            one['defaultEntry'] = perm.default_entry if perm.entries else None
        except grub0.GrubError:
            one['defaultEntry'] = None
        boots.append(one)
    first, second = boots
    first['savedWord'] = word_in
    first['afterReset'] = second
    second['savedWord'] = first['savedWordAfter']
    return first


# ---- no host: a grub.conf and a file set ---------------------------------------------------------
def auto_files(conf, boot_partition):
    """Every file the config names, as GRUB would find it, kinds taken from the file names."""
    files = {}
    cfg = grub0.parse(conf)
    for e in cfg.entries:
        for line in e['commands']:
            name = grub0.command_name(line)
            if name not in ('kernel', 'initrd', 'module', 'modulenounzip'):
                continue
            arg = grub0.skip_to(1, line)
            while name == 'kernel' and arg.startswith('--'):
                arg = grub0.skip_to(0, arg)
            words = [w for w in arg.split(' ') if w] if name == 'initrd' else arg.split(' ')[:1]
            for w in words:
                path = re.sub(r'^\([^)]*\)', '', w)
                if not path.startswith('/') or path in files:
                    continue
                base = os.path.basename(path)
                m = re.match(r'vmlinuz-(.+)$', base)
                if base.startswith('xen') and (base.endswith('.gz') or base == 'xen'):
                    files[path] = 'TESTBED:xen:%s\n' % (re.sub(r'^xen-?|\.gz$', '', base) or 'xen')
                elif m:
                    files[path] = 'TESTBED:linux:%s\n' % m.group(1)
                else:
                    m = re.match(r'(?:initramfs|initrd)-(.+?)(?:kdump)?\.img$', base)
                    files[path] = 'TESTBED:initramfs:%s\n' % m.group(1) if m else 'TESTBED:data:%s\n' % base
    return files


def case(c):
    bp = c.get('bootPartition', True)
    conf = c.get('conf', '')
    files = c.get('files')
    if files == 'auto' or files is None:
        files = auto_files(conf, bp)
    files = dict(files)
    conf_path, stage2_path = machine.layout_paths(bp)
    files[conf_path] = conf
    files.setdefault(stage2_path, 'stage2')
    fs = grub0.DictFS(files)
    if c.get('savedWord'):
        fs.words[stage2_path] = int(c['savedWord'])
    spec = dict(c.get('spec') or {})
    spec['bootPartition'] = bp
    return predict(spec, fs, c.get('faults') or {})


def read_faults(d):
    out = {}
    if d and os.path.isdir(d):
        for f in os.listdir(d):
            p = os.path.join(d, f)
            if os.path.isfile(p) and not f.startswith('points.'):
                with open(p) as fh:
                    out[f] = fh.read()
    return out


def main(argv):
    if len(argv) >= 2 and argv[1] == 'batch':
        cases = json.load(sys.stdin)
        json.dump([case(c) for c in cases], sys.stdout)
        return 0
    if len(argv) >= 4 and argv[1] == 'host':
        with open(argv[3]) as f:
            spec = json.load(f)
        faults = read_faults(argv[4] if len(argv) > 4 else None)
        json.dump(predict(spec, grub0.DirFS(argv[2]), faults), sys.stdout)
        return 0
    sys.stderr.write('usage: python3 -m tb.nextboot batch < cases.json | host BOOTROOT SPEC_JSON [FAULTS_DIR]\n')
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
