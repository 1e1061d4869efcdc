"""The boot firmware of one simulated host, run by the host's init (lab/init.sh) at every power-on.

  python3 boot.py HOSTDIR ROOTDIR

Reads the host's grub.conf from its boot partition with GRUB 0.97's rules (host/tb/grub0.py), boots
the chosen entry (host/tb/machine.py: Linux, or Xen + Domain-0, or a panic), logs every decision to
the console log, appends a boot record to ctl/boots.jsonl, and for a host that comes up writes the
files its programs read (/proc/meminfo, /proc/cpuinfo, /proc/cmdline, boot_id, xl state) into ctl/run.
Prints shell assignments for init.sh: RESULT=up|panic|bootfail, PANIC_REBOOT=0|1, HYP=none|xen."""
import json
import os
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'host'))
sys.path.insert(0, HERE)

from tb import common, grub0, machine, xen  # noqa: E402
import realboot  # noqa: E402  (lab/realboot.py: hosts whose power cycle is real)

INTEL = ('GenuineIntel', 6, 63, 'Intel(R) Xeon(R) CPU E5-2630 v3 @ 2.40GHz', 2)
AMD = ('AuthenticAMD', 21, 2, 'AMD Opteron(tm) Processor 6380', 0)
FLAGS = ('fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 '
         'ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc arch_perfmon pebs bts rep_good xtopology nonstop_tsc '
         'aperfmperf pni pclmulqdq dtes64 monitor ds_cpl VIRT smx est tm2 ssse3 fma cx16 xtpr pdcm pcid dca sse4_1 '
         'sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm ida arat epb xsaveopt '
         'pln pts dts VIRTX fsgsbase bmi1 avx2 smep bmi2 erms invpcid')


def ts():
    t = time.time()
    return time.strftime('%H:%M:%S', time.localtime(t)) + '.%03d' % int((t % 1) * 1000)


def meminfo(total_kb):
    free = int(total_kb * 0.92)
    rows = [('MemTotal:', total_kb), ('MemFree:', free), ('Buffers:', 10756), ('Cached:', 96320), ('SwapCached:', 0),
            ('Active:', 75560), ('Inactive:', 60208), ('Active(anon):', 28832), ('Inactive(anon):', 144),
            ('Active(file):', 46728), ('Inactive(file):', 60064), ('Unevictable:', 0), ('Mlocked:', 0),
            ('SwapTotal:', 4063228), ('SwapFree:', 4063228), ('Dirty:', 0), ('Writeback:', 0), ('AnonPages:', 28720),
            ('Mapped:', 11796), ('Shmem:', 272), ('Slab:', 61588), ('SReclaimable:', 14088), ('SUnreclaim:', 47500),
            ('KernelStack:', 1520), ('PageTables:', 3316), ('NFS_Unstable:', 0), ('Bounce:', 0), ('WritebackTmp:', 0),
            ('CommitLimit:', total_kb // 2 + 4063228), ('Committed_AS:', 135588), ('VmallocTotal:', 34359738367),
            ('VmallocUsed:', 154044), ('VmallocChunk:', 34359571288), ('HardwareCorrupted:', 0), ('AnonHugePages:', 2048)]
    out = ['%-16s%8d kB' % r for r in rows]
    out += ['HugePages_Total:       0', 'HugePages_Free:        0', 'HugePages_Rsvd:        0', 'HugePages_Surp:        0',
            'Hugepagesize:       2048 kB', 'DirectMap4k:        8180 kB', 'DirectMap2M:     %8d kB' % (total_kb - 8180)]
    return '\n'.join(out) + '\n'


def linux_memtotal_kb(mib):
    kb = mib * 1024
    return kb - kb // 32 - 16384


def cpuinfo(n, flags_kind, under_xen):
    vendor, fam, model, name, stepping = AMD if flags_kind == 'svm' else INTEL
    virt = {'vmx': 'vmx', 'svm': 'svm'}.get(flags_kind, '')
    virtx = 'tpr_shadow vnmi flexpriority ept vpid' if flags_kind == 'vmx' else ''
    if under_xen:
        virt, virtx = 'hypervisor', ''
    flags = ' '.join(FLAGS.replace('VIRTX', virtx).replace('VIRT', virt).split())
    blocks = []
    for i in range(n):
        blocks.append('\n'.join([
            'processor\t: %d' % i, 'vendor_id\t: %s' % vendor, 'cpu family\t: %d' % fam, 'model\t\t: %d' % model,
            'model name\t: %s' % name, 'stepping\t: %d' % stepping, 'microcode\t: 61', 'cpu MHz\t\t: 2394.454',
            'cache size\t: 20480 KB', 'physical id\t: 0', 'siblings\t: %d' % n, 'core id\t\t: %d' % i,
            'cpu cores\t: %d' % n, 'apicid\t\t: %d' % (i * 2), 'initial apicid\t: %d' % (i * 2), 'fpu\t\t: yes',
            'fpu_exception\t: yes', 'cpuid level\t: 15', 'wp\t\t: yes', 'flags\t\t: ' + flags,
            'bogomips\t: 4788.90', 'clflush size\t: 64', 'cache_alignment\t: 64',
            'address sizes\t: 46 bits physical, 48 bits virtual', 'power management:', '']))
    return '\n'.join(blocks) + '\n'


def main(hostdir, rootdir):
    C = os.path.join(hostdir, 'ctl')
    spec = common.read_json(os.path.join(C, 'spec.json'), {})
    name = spec.get('name', 'host')
    faults = {}
    fdir = os.path.join(C, 'faults')
    for f in os.listdir(fdir) if os.path.isdir(fdir) else []:
        with open(os.path.join(fdir, f)) as fh:
            faults[f] = fh.read()
    bp = spec.get('bootPartition', True)
    bootfs = grub0.DirFS(os.path.join(hostdir, 'bootmnt') if bp else rootdir)
    parts = {(0, 0): bootfs, (0, 1): 'lvm' if bp else 'swap'}
    log = []
    t0 = common.now_ms()
    real = None
    earlier = []
    if spec.get('realBoot'):
        # the power cycle is real: QEMU boots the host's /boot with Red Hat's GRUB and real Xen (lab/realboot.py)
        rec, earlier, real = realboot.power_on(hostdir, rootdir, spec, log)
        cfg = None
        if rec['result'] == 'up' and not rec.get('kernelRelease'):
            # the initramfs that booted has no test-bed marker on the host: say what really booted
            rec['kernelRelease'] = (rec.get('real') or {}).get('unameR') or 'unknown'
        if rec.get('kernelRelease'):
            rec['kernelVersion'] = machine.kernel_version_string(rec['kernelRelease'])
    else:
        rec, cfg = machine.power_on(spec, grub0.Machine(parts), faults, log)
    rec['time'] = time.strftime('%Y-%m-%dT%H:%M:%S')
    rec['bootId'] = None
    run = os.path.join(C, 'run')
    os.makedirs(run, exist_ok=True)
    if rec['result'] == 'up':
        bid = (real or {}).get('bootId') or str(uuid.uuid4())
        rec['bootId'] = bid
        under_xen = rec['hypervisor'] == 'xen'
        arch = spec.get('arch', 'x86_64')
        if under_xen:
            m = rec['xen']
            mem_kb = linux_memtotal_kb(m['dom0_mem_mib'])
            ncpu = m['vcpus']
        else:
            mem_kb = linux_memtotal_kb(int(spec.get('memMiB', 4096)))
            ncpu = int(spec.get('cpus', 4))
        report = (real or {}).get('report') or {}
        files = {
            # a real boot: what the booted kernel itself reported
            'meminfo': report.get('meminfo') or meminfo(mem_kb),
            'cpuinfo': report.get('cpuinfo') or cpuinfo(ncpu, spec.get('cpuFlags', 'vmx'), under_xen),
            'cmdline': (rec.get('cmdline') or '') + '\n',
            'version': 'Linux version %s (mockbuild@c6b9.bsys.dev.centos.org) (gcc version 4.4.7 20120313 (Red Hat 4.4.7-23) (GCC) ) %s\n'
                       % (rec['kernelRelease'], rec.get('kernelVersion', '')),
            'osrelease': rec['kernelRelease'] + '\n',
            'kversion': rec.get('kernelVersion', '') + '\n',
            'boot_id': bid + '\n',
            'uname.env': "REL='%s'\nVER='%s'\nMACH='%s'\nPROC='%s'\nPLAT='%s'\n" % (
                rec['kernelRelease'], rec.get('kernelVersion', ''), arch, arch, 'i386' if arch != 'x86_64' else arch),
        }
        state = dict(rec)
        state['bootTimeMs'] = common.now_ms()
        if real is not None:
            # xl answers with what the real boot's xl printed (host/tb/xl.py)
            state['real'] = dict(rec.get('real') or {}, report=report)
        files['boot.json'] = json.dumps(state, indent=1, sort_keys=True) + '\n'
        if under_xen:
            files['xen-dmesg'] = report.get('xlDmesg') if real is not None else xen.dmesg(rec['xen'], spec, rec)
        for k, v in files.items():
            with open(os.path.join(run, k), 'w') as f:
                f.write(v)
        xd = os.path.join(run, 'proc-xen')
        hd = os.path.join(run, 'sys-hypervisor')
        for d in (xd, hd):
            if os.path.isdir(d):
                for f in os.listdir(d):
                    os.unlink(os.path.join(d, f))
                os.rmdir(d)
        if under_xen:
            os.makedirs(xd)
            with open(os.path.join(xd, 'capabilities'), 'w') as f:
                f.write((report.get('xenCaps') or 'control_d') + '\n')
            with open(os.path.join(xd, 'privcmd'), 'w') as f:
                pass
            os.makedirs(hd)
            for k, v in (('type', 'xen'), ('uuid', '00000000-0000-0000-0000-000000000000')):
                with open(os.path.join(hd, k), 'w') as f:
                    f.write(v + '\n')
        log.append('[linux] userspace up: boot_id %s%s' % (bid, ' (Xen %s, dom0 %d MiB, %d vCPUs)' % (
            '(real boot)' if real is not None else common.XEN_FULL, rec['xen']['dom0_mem_mib'], rec['xen']['vcpus']) if under_xen else ''))
    with open(os.path.join(C, 'console.log'), 'a') as f:
        for line in log:
            f.write('[%s %s] %s\n' % (ts(), name, line))

    def slim_of(r):
        slim = {k: r.get(k) for k in ('bootId', 'entryIndex', 'title', 'hypervisor', 'kernelRelease', 'xenCmdline',
                                      'dom0Cmdline', 'cmdline', 'result', 'error', 'attempts', 'once', 'time')}
        if r['hypervisor'] == 'xen' and r.get('xen'):
            slim['dom0MemMiB'] = r['xen']['dom0_mem_mib']
            slim['dom0Vcpus'] = r['xen']['vcpus']
        if r.get('real') is not None:
            slim['real'] = r['real']
        slim['firmwareMs'] = common.now_ms() - t0
        return slim
    with open(os.path.join(C, 'boots.jsonl'), 'a') as f:
        for e in earlier:
            # a power-on of the same real run that crashed and reset the machine (it booted again by itself)
            e['time'] = rec['time']
            e['bootId'] = None
            f.write(json.dumps(slim_of(e)) + '\n')
        f.write(json.dumps(slim_of(rec)) + '\n')
    print('RESULT=%s' % rec['result'])
    print('PANIC_REBOOT=%d' % (1 if rec.get('rebootAfterPanic') else 0))
    print('HYP=%s' % rec['hypervisor'])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
