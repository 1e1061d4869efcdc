"""One power-on of a simulated host: GRUB 0.97 picks and loads an entry (grub0.py), then either Linux
starts, or Xen starts Domain-0 (or panics, as Xen 4.10 does). Returns a boot record; the lab writes
the console log and, for a host that comes up, the files the host's programs read.

CLI for tests (no host needed):  python3 -m tb.machine batch < cases.json > results.json
  a case: {"conf": "...grub.conf text...", "files": {"/vmlinuz-X": "TESTBED:linux:X\\n", "/xen.gz": {"link": "xen-4.10.gz"}},
           "bootPartition": true, "savedWord": 0, "spec": {...host spec...}, "faults": {"xen-panic": "1"}}
"""
import json
import os
import re
import sys

from . import grub0, xen, common

KERNEL_VERSIONS = {
    '2.6.32-754.el6': '#1 SMP Tue Jun 19 21:26:04 UTC 2018',
    '4.9.241-37.el6': '#1 SMP Mon Nov 2 13:55:04 UTC 2020',
}


def kernel_version_string(release):
    for k, v in KERNEL_VERSIONS.items():
        if release.startswith(k):
            return v
    return '#1 SMP Tue Dec 1 12:00:00 UTC 2020'


def release_major(release):
    m = re.match(r'(\d+)\.(\d+)', release or '')
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def layout_paths(boot_partition):
    prefix = '' if boot_partition else '/boot'
    return prefix + '/grub/grub.conf', prefix + '/grub/stage2'


def release_from(path, ident):
    base = os.path.basename(path)
    if base.startswith('vmlinuz-'):
        return base[len('vmlinuz-'):]
    return ident or base


def args_of(s):
    """The argument words of a Linux command line (no quoting in GRUB legacy)."""
    return [w for w in s.split(' ') if w]


def check_linux(rec, spec, kernel_release, cmdline, initrds, log, under_xen):
    """What the dom0 / plain Linux kernel and its initramfs do with the command line.
    Returns None if userspace comes up, else (result, error) with result 'panic' or 'bootfail'."""
    if not initrds:
        log.append('Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)')
        return 'panic', 'no initramfs: VFS: Unable to mount root fs on unknown-block(0,0)'
    fs, path = initrds[0]
    kind, ident = grub0.file_kind(fs, path)
    if kind != 'initramfs':
        log.append('Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)')
        return 'panic', 'initrd %s is not an initramfs image' % path
    if ident != kernel_release:
        log.append('dracut: FATAL: initramfs %s was built for kernel %s, not %s' % (path, ident, kernel_release))
        log.append('Kernel panic - not syncing: Attempted to kill init!')
        return 'panic', 'initramfs %s belongs to kernel %s, booted kernel is %s' % (path, ident, kernel_release)
    roots = [w[5:] for w in args_of(cmdline) if w.startswith('root=')]
    want = spec.get('rootDevice')
    if not roots:
        log.append('dracut: FATAL: No or empty root= argument')
        log.append('dracut: Refusing to continue')
        return 'bootfail', 'no root= on the kernel command line: dracut refused to continue'
    if want and roots[-1] != want:
        log.append('dracut Warning: Could not boot.')
        log.append('dracut Warning: %s does not exist' % roots[-1])
        log.append('Dropping to debug shell.')
        return 'bootfail', 'root=%s does not exist (the root file system is %s): dracut debug shell' % (roots[-1], want)
    return None


def power_on(spec, machine, faults, log):
    """spec: host spec dict; machine: grub0.Machine; faults: dict of set knobs; log: list of lines."""
    boot_partition = spec.get('bootPartition', True)
    conf_path, stage2_path = layout_paths(boot_partition)
    bootfs = machine.partitions[machine.boot]
    rec = {'entryIndex': None, 'title': None, 'hypervisor': 'none', 'kernelRelease': None, 'result': None,
           'error': None, 'attempts': [], 'xenCmdline': None, 'dom0Cmdline': None, 'cmdline': None,
           'once': None, 'rebootAfterPanic': False}
    # the saved entry word lives in the stage2 image (RHEL 6)
    saved = 0
    try:
        saved = bootfs.read_word(stage2_path, grub0.STAGE2_SAVED_OFFSET)
    except grub0.GrubError:
        pass
    try:
        data = bootfs.read(conf_path)
    except grub0.GrubError as e:
        log.append('[grub] cannot read %s (%s): GRUB stopped at the grub> prompt' % (conf_path, e))
        rec.update(result='bootfail', error='%s: %s' % (conf_path, e))
        return rec, None
    cfg = grub0.parse(data, saved)
    for note in cfg.notes:
        log.append('[grub] ' + note)
    if cfg.new_saved_word is not None:
        try:
            bootfs.write_word(stage2_path, grub0.STAGE2_SAVED_OFFSET, cfg.new_saved_word)
        except (grub0.GrubError, OSError) as e:
            log.append('[grub] could not rewrite the saved entry: %s' % e)
    rec['once'] = cfg.once
    if cfg.entries:
        log.append('[grub] %d entries, default %d%s%s' % (
            len(cfg.entries), cfg.default_entry,
            ', fallback %s' % ' '.join(map(str, cfg.fallback_entries)) if cfg.fallback_entryno >= 0 else '',
            ', timeout %d' % cfg.timeout if cfg.timeout >= 0 else ', no timeout'))
    screen = []
    d = grub0.boot(cfg, machine, stage2_path, screen)
    rec['attempts'] = d['attempts']
    for a in d['attempts']:
        log.append("[grub] booting entry %d '%s'%s" % (a['entryIndex'], a['title'], ': ' + a['error'] if a['error'] else ''))
    log.extend('[grub]   ' + s for s in screen if s)
    rec['entryIndex'], rec['title'] = d['entryIndex'], d['title']
    if d['result'] == 'bootfail':
        rec.update(result='bootfail', error=d['error'])
        log.append('[grub] boot failed: ' + d['error'])
        return rec, cfg
    ld = d['loaded']
    if ld.get('savedefault') is not None or ld.get('savedefault_done'):
        try:
            v = d['entryIndex']
            arg = ld.get('savedefault')
            if arg and arg.isdigit():
                v = int(arg)
            bootfs.write_word(stage2_path, grub0.STAGE2_SAVED_OFFSET, v)
            log.append('[grub] savedefault: saved entry %d' % v)
        except (grub0.GrubError, OSError):
            pass
    t = ld['type']
    if t == 'chainloader' or (t or '').startswith('stop:'):
        what = t[5:] if t.startswith('stop:') else 'chainloader'
        rec.update(result='bootfail', error="entry runs '%s': not something this test bed boots" % what)
        log.append('[grub] ' + rec['error'])
        return rec, cfg

    if t == 'linux':
        fs, path = ld['kernel']
        krel = release_from(path, ld.get('release'))
        cmdline = ld['kernel_args']
        rec.update(kernelRelease=krel, cmdline=cmdline, kernelVersion=kernel_version_string(krel))
        log.append('[linux] Linux version %s (mockbuild@c6b9.bsys.dev.centos.org) %s' % (krel, rec['kernelVersion']))
        log.append('[linux] Command line: ' + cmdline)
        bad = check_linux(rec, spec, krel, cmdline, ld['initrd'], log, False)
        if bad:
            rec.update(result=bad[0], error=bad[1])
            log.append('[linux] ' + bad[1])
            return rec, cfg
        rec['result'] = 'up'
        return rec, cfg

    # multiboot: Xen
    rec['hypervisor'] = 'xen'
    xcmd, extra = xen.cook_cmdline(ld['mb_cmdline'])
    rec['xenCmdline'] = xcmd
    st = xen.parse_cmdline(xcmd)
    for m in st['messages']:
        log.append('(XEN) ' + m)
    log.append('(XEN) Xen version %s (mockbuild@centos.org) (gcc (GCC) 4.4.7 20120313 (Red Hat 4.4.7-23)) debug=n' % common.XEN_FULL)
    log.append('(XEN) Bootloader: GNU GRUB 0.97')
    log.append('(XEN) Command line: ' + xcmd)

    def xen_panic(reason, pre=()):
        for p in pre:
            log.append('(XEN) ' + p)
        log.extend(xen.panic_lines(reason, st['noreboot']))
        rec.update(result='panic', error='Xen panic: ' + reason, rebootAfterPanic=not st['noreboot'])
        return rec, cfg

    if faults.get('xen-panic') is not None:
        return xen_panic('Xen panicked (test bed fault knob xen-panic)')
    mods = ld['modules']
    if not mods:
        return xen_panic('dom0 kernel not specified. Check bootloader configuration.')
    kfs, kpath = mods[0]['file']
    kind, ident = grub0.file_kind(kfs, kpath)
    log.append('(XEN) *** LOADING DOMAIN 0 ***')
    if kind != 'linux':
        return xen_panic('Could not set up DOM0 guest OS', ['Unable to load the dom0 kernel %s: not a Linux kernel image' % kpath])
    krel = release_from(kpath, ident)
    rec['kernelRelease'] = krel
    rec['kernelVersion'] = kernel_version_string(krel)
    dom0 = grub0.skip_to(0, mods[0]['string'])
    if extra:
        dom0 = (dom0 + ' ' + extra) if dom0 else extra
    rec['dom0Cmdline'] = dom0
    rec['cmdline'] = dom0
    if release_major(krel) < (3, 0):
        return xen_panic('Could not set up DOM0 guest OS', ['Kernel does not support Dom0 operation'])
    log.append('[linux] Linux version %s (mockbuild@c1bm.rdu2.centos.org) %s' % (krel, rec['kernelVersion']))
    log.append('[linux] Command line: ' + dom0)
    initrds = [m['file'] for m in mods[1:2]]
    bad = check_linux(rec, spec, krel, dom0, initrds, log, True)
    if bad:
        if bad[0] == 'panic':
            if st['noreboot']:
                log.append("(XEN) Hardware Dom0 crashed: 'noreboot' set - not rebooting.")
            else:
                log.append('(XEN) Hardware Dom0 crashed: rebooting machine in 5 seconds.')
            rec.update(result='panic', error='dom0 panic: ' + bad[1], rebootAfterPanic=not st['noreboot'])
        else:
            rec.update(result=bad[0], error=bad[1])
        return rec, cfg
    rec['result'] = 'up'
    rec['xen'] = xen.model(xcmd, int(spec.get('memMiB', 4096)), int(spec.get('cpus', 4)), spec.get('maxCpuId'))
    return rec, cfg


# ---- test CLI ------------------------------------------------------------------------------------
def _case(c):
    bp = c.get('bootPartition', True)
    files = dict(c.get('files') or {})
    conf_path, stage2_path = layout_paths(bp)
    files[conf_path] = c.get('conf', '')
    if stage2_path not in files:
        files[stage2_path] = 'stage2'
    fs = grub0.DictFS(files)
    if c.get('savedWord'):
        fs.words[stage2_path] = int(c['savedWord'])
    parts = {(0, 0): fs, (0, 1): 'lvm' if bp else 'swap'}
    machine = grub0.Machine(parts)
    spec = dict(c.get('spec') or {})
    spec.setdefault('bootPartition', bp)
    log = []
    rec, cfg = power_on(spec, machine, c.get('faults') or {}, log)
    rec.pop('xen', None) if not c.get('withXen') else None
    return {'record': rec, 'config': cfg.to_json() if cfg else None, 'log': log,
            'savedWordOut': fs.words.get(stage2_path, 0)}


def main(argv):
    if len(argv) >= 2 and argv[1] == 'batch':
        cases = json.load(sys.stdin)
        json.dump([_case(c) for c in cases], sys.stdout)
        return 0
    if len(argv) >= 2 and argv[1] == 'parse':
        data = sys.stdin.buffer.read()
        json.dump(grub0.parse(data, int(argv[2]) if len(argv) > 2 else 0).to_json(), sys.stdout, indent=1)
        return 0
    sys.stderr.write('usage: python3 -m tb.machine batch|parse [savedWord] < input\n')
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
