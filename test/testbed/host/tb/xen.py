"""Xen 4.10 as the simulated host sees it: the hypervisor command line (parsed with Xen 4.10's rules),
Domain-0's memory and vCPUs, and the exact text formats of `xl list`, `xl info`, `xl vcpu-list`
and `xl dmesg` (tools/xl/xl_info.c, xl_vcpu.c, xl_utils.c of RELEASE-4.10.4).
Reference: /work/shared/design/xen-centos6-facts.md sections 2 and 3."""
import time

from . import common

PAGE = 4096
MAX_VIRT_CPUS = 8192   # no practical cap at the sizes the test bed simulates

KNOWN = set('''acpi acpi_apic_instance acpi_pstate_strict acpi_skip_timer_override acpi_sleep allow_unsafe
altp2m apic apic_verbosity apicv arat asid async-show-all ats availmem badpage bootscrub bootscrub_chunk bti
clocksource cmci-threshold cmos-rtc-probe com1 com2 conring_size console console_timestamps console_to_ring
conswitch core_parking cpu_type cpufreq cpuid cpuid_mask_cpu cpuid_mask_ecx cpuid_mask_edx cpuid_mask_ext_ecx
cpuid_mask_ext_edx cpuid_mask_l7s0_eax cpuid_mask_l7s0_ebx cpuid_mask_thermal_ecx cpuid_mask_xsave_eax cpuidle
cpuinfo crashinfo_maxaddr crashkernel credit2_balance_over credit2_balance_under credit2_cap_period_ms
credit2_load_precision_shift credit2_load_window_shift credit2_runqueue dbgp debug_stack_lines debugtrace
dma_bits dom0 dom0_ioports_disable dom0_max_vcpus dom0_mem dom0_nodes dom0_vcpus_pin dtuart e820-mtrr-clip
e820-verbose efi ept extra_guest_irqs flask font force-ept gdb gnttab gnttab_max_frames gnttab_max_maptrack_frames
guest_loglvl hap hap_1gb hap_2mb hardware_dom hest_disable highmem-start hpetbroadcast hvm_debug hvm_fep
hvm_port80 idle_latency_factor invpcid ioapic_ack iommu iommu_dev_iotlb_timeout iommu_inclusive_mapping
irq_ratelimit irq_vector_map ivrs_hpet[ ivrs_ioapic[ lapic lapic_timer_c2_ok ler loglvl low_crashinfo
low_mem_virq_limit max_cstate max_gsi_irqs maxcpus mce mce_fb mce_verbosity mem memop-max-order mmcfg
mmio-relax msi mtrr.show mwait-idle nmi noapic noirqbalance nolapic noreboot nosmp nr_irqs numa pci pci-phantom
pcid pku ple_gap ple_window psr pv-l1tf pv-linear-pt pv-shim rcu-idle-timer-period-ms reboot rmrr ro-hpet sched
sched_credit2_migrate_resist sched_credit_tslice_ms sched_ratelimit_us sched_smt_power_savings serial_tx_buffer
shim_mem smap smep smt snb_igd_quirk spec-ctrl sync_console tboot tbuf_size tdt tevt_mask tickle_one_idle_cpu
timer_slop tmem tmem_compress tsc ucode unrestricted_guest vcpu_migration_delay vesa-map vesa-mtrr vesa-ram vga
viridian-spinlock-retry-count viridian-version vpid vpmu watchdog watchdog_timeout x2apic x2apic_phys xpti xsave
xsm'''.split())
# parsed early by the boot code, not by the parameter table
EARLY = {'edd', 'edid', 'no-real-mode'}
# boolean parameters (the ones a Dom0 setup touches, and the common flags)
BOOLEANS = {'dom0_vcpus_pin', 'cpuinfo', 'noreboot', 'sync_console', 'console_to_ring', 'noapic', 'nosmp',
            'noirqbalance', 'nolapic', 'tmem', 'tmem_compress', 'x2apic', 'x2apic_phys', 'smep', 'smap',
            'watchdog', 'apicv', 'hap', 'hap_1gb', 'hap_2mb', 'iommu_inclusive_mapping', 'vpid', 'ept_pml',
            'unrestricted_guest', 'ler', 'tdt', 'arat', 'invpcid', 'pcid', 'bootscrub', 'e820-verbose',
            'e820-mtrr-clip', 'lapic_timer_c2_ok', 'mce', 'msi', 'ro-hpet', 'tboot', 'xsave', 'core_parking',
            'sched_smt_power_savings', 'tickle_one_idle_cpu', 'cpuidle', 'allow_unsafe', 'cmos-rtc-probe',
            'async-show-all', 'debugtrace', 'pv-linear-pt', 'hvm_fep', 'hvm_port80', 'rmrr', 'vesa-mtrr',
            'snb_igd_quirk', 'low_crashinfo', 'conswitch'}
LOGLVLS = ('none', 'error', 'warning', 'info', 'debug', 'all')
CONSOLE_ITEMS = ('vga', 'com1', 'com2', 'com1H', 'com1L', 'com2H', 'com2L', 'dbgp', 'ehci', 'dtuart', 'pv', 'none')
EINVAL = -22


# ---- numbers -----------------------------------------------------------------------------------
def strtoull(s):
    """simple_strtoull(s, &end, 0): base from the prefix (0x hex, 0 octal, else decimal)."""
    i = 0
    base = 10
    if s[:2].lower() == '0x' and len(s) > 2 and s[2] in '0123456789abcdefABCDEF':
        base, i = 16, 2
    elif s[:1] == '0':
        base = 8
    v = 0
    while i < len(s):
        ch = s[i].lower()
        d = int(ch, 16) if ch in '0123456789abcdef' else 99
        if d >= base:
            break
        v = v * base + d
        i += 1
    return v, s[i:]


def parse_size_and_unit(s):
    """Bytes and the rest of the string: no suffix means KiB."""
    v, rest = strtoull(s)
    c = rest[:1]
    shifts = {'T': 40, 't': 40, 'G': 30, 'g': 30, 'M': 20, 'm': 20, 'K': 10, 'k': 10, 'B': 0, 'b': 0}
    if c in shifts:
        return v << shifts[c], rest[1:]
    return v << 10, rest


def parse_amt(s):
    neg = s.startswith('-')
    b, rest = parse_size_and_unit(s[1:] if neg else s)
    pages = b >> 12
    return (-pages if neg else pages), rest


def parse_dom0_mem(val, st):
    s = val
    while True:
        if s.startswith('min:'):
            st['min'], s = parse_amt(s[4:])
        elif s.startswith('max:'):
            st['max'], s = parse_amt(s[4:])
        else:
            st['nr'], s = parse_amt(s)
        c, s = s[:1], s[1:]
        if c != ',':
            break
    return 0 if c == '' else EINVAL


def parse_dom0_max_vcpus(val, st):
    s = val
    if s.startswith('-'):
        st['vmax'], s = _strtoul(s[1:])
    else:
        st['vmin'], s = _strtoul(s)
        if st['vmin'] == 0:
            st['vmin'] = 1
        if s == '':
            st['vmax'] = st['vmin']
        elif s[0] == '-':
            s = s[1:]
            if s:
                st['vmax'], s = _strtoul(s)
        else:
            return EINVAL
    return EINVAL if s else 0


def _strtoul(s):
    return strtoull(s)


def parse_bool(v):
    if v in ('', 'yes', 'on', 'true', 'enable', '1'):
        return True
    if v in ('no', 'off', 'false', 'disable', '0'):
        return False
    return None


# ---- the command line ---------------------------------------------------------------------------
def parse_cmdline(cmdline):
    """Xen's _cmdline_parse over the hypervisor command line. Returns the effective settings and the
    console messages Xen prints for unknown or invalid options."""
    st = {'nr': 0, 'min': 0, 'max': None, 'vmin': 1, 'vmax': None, 'pin': False, 'noreboot': False,
          'messages': [], 'console': 'com1,vga', 'tokens': []}
    for tok in cmdline.split(' '):
        if not tok:
            continue
        tok = tok[:127]
        st['tokens'].append(tok)
        key, eq, val = tok.partition('=')
        if key in EARLY:
            continue
        neg = False
        name = key
        if key.startswith('no-') and key[3:] in KNOWN:
            neg, name = True, key[3:]
        if name not in KNOWN and not any(name.startswith(p) for p in ('ivrs_hpet[', 'ivrs_ioapic[')):
            st['messages'].append('parameter "%s" unknown!' % key)
            continue
        rc = 0
        if name in BOOLEANS:
            b = parse_bool(val if eq else '')
            if b is None:
                rc = EINVAL
            else:
                if neg:
                    b = not b if eq else False
                if name == 'dom0_vcpus_pin':
                    st['pin'] = b
                elif name == 'noreboot':
                    st['noreboot'] = b
        elif neg:
            rc = EINVAL
        elif name == 'dom0_mem':
            rc = parse_dom0_mem(val, st)
        elif name == 'dom0_max_vcpus':
            rc = parse_dom0_max_vcpus(val, st)
        elif name in ('loglvl', 'guest_loglvl'):
            parts = val.split('/')
            if not (1 <= len(parts) <= 2 and all(p in LOGLVLS for p in parts)):
                rc = EINVAL
        elif name == 'console':
            st['console'] = val[:29]
        elif name == 'cpufreq':
            head = val.replace(':', ',').split(',')[0]
            if head == 'dom0-kernel':
                st['pin'] = True
            elif head not in ('none', 'xen', 'yes', 'on', 'true', 'enable', '1', 'no', 'off', 'false', 'disable', '0'):
                rc = EINVAL
        if rc:
            st['messages'].append('parameter "%s" has invalid value "%s", rc=%d!' % (key, val, rc))
    for item in st['console'].split(','):
        if item and item not in CONSOLE_ITEMS:
            st['messages'].append("Bad console= option '%s'" % item)
    return st


def cook_cmdline(mb_string):
    """cmdline_cook() for GRUB legacy: drop the image name (first word); cut at ' -- '.
    Returns (xen_cmdline, extra_for_dom0)."""
    p = mb_string.lstrip(' ')
    j = p.find(' ')
    p = '' if j < 0 else p[j:].lstrip(' ')
    k = p.find(' -- ')
    if k >= 0:
        extra = p[k + 4:]
        while extra.startswith(' '):
            extra = extra[1:]
        return p[:k], extra
    return p, ''


# ---- the machine --------------------------------------------------------------------------------
def xen_memory(mem_mib):
    """(total_memory MiB as Xen reports it, memory Xen itself keeps, MiB)."""
    total = mem_mib - 1 - mem_mib // 128
    xen_used = 16 + total // 256
    return total, xen_used


def dom0_pages(st, avail_pages):
    """dom0_compute_nr_pages() of Xen 4.10 (PV dom0, no paging)."""
    nr, mn = st['nr'], st['min']
    mx = st['max'] if st['max'] is not None else (1 << 62)
    if nr == 0:
        nr = -min(avail_pages // 16, 128 << (20 - 12))
    if nr < 0:
        nr += avail_pages
    if mn < 0:
        mn += avail_pages
    if mx < 0:
        mx += avail_pages
    nr = max(nr, mn)
    nr = min(nr, mx)
    nr = min(nr, avail_pages)
    return nr, mx


def dom0_vcpus(st, ncpus):
    n = ncpus
    if st['vmin'] > n:
        n = st['vmin']
    if st['vmax'] is not None and st['vmax'] < n:
        n = st['vmax']
    return max(1, min(n, MAX_VIRT_CPUS))


def model(cmdline, mem_mib, cpus, max_cpu_id=None):
    """Everything `xl` reports, computed from the booted Xen command line and the machine."""
    st = parse_cmdline(cmdline)
    total, xen_used = xen_memory(mem_mib)
    avail_pages = (total - xen_used) * 256
    pages, max_pages = dom0_pages(st, avail_pages)
    vcpus = dom0_vcpus(st, cpus)
    mcid = cpus - 1 if max_cpu_id is None else max(max_cpu_id, cpus - 1)
    dom0_mib = pages * PAGE // (1024 * 1024)
    hard = []
    for i in range(vcpus):
        hard.append(str(i % cpus) if st['pin'] else bitmap(range(cpus), mcid))
    return {
        'cmdline': cmdline,
        'messages': st['messages'],
        'tokens': st['tokens'],
        'dom0_pages': pages,
        'dom0_mem_mib': dom0_mib,
        'dom0_max_pages': max_pages if max_pages < (1 << 60) else None,
        'vcpus': vcpus,
        'online_vcpus': vcpus,
        'pinned': st['pin'],
        'noreboot': st['noreboot'],
        'total_memory': total,
        'free_memory': max(total - xen_used - dom0_mib, 0),
        'nr_cpus': cpus,
        'max_cpu_id': mcid,
        'hard_affinity': hard,
        'soft_affinity': bitmap(range(cpus), mcid),
    }


def bitmap(cpus, max_cpu_id):
    """print_bitmap over max_cpu_id+1 bits: 'all', 'none', or ranges like '0-3,8'."""
    s = sorted(set(cpus))
    if len(s) == max_cpu_id + 1 and s == list(range(max_cpu_id + 1)):
        return 'all'
    if not s:
        return 'none'
    out = []
    start = prev = s[0]
    for c in s[1:] + [None]:
        if c is not None and c == prev + 1:
            prev = c
            continue
        out.append(str(start) if start == prev else '%d-%d' % (start, prev))
        if c is not None:
            start = prev = c
    return ','.join(out)


# ---- xl text ------------------------------------------------------------------------------------
def fmt_list(m, uptime_s, dom=None):
    lines = ['Name                                        ID   Mem VCPUs\tState\tTime(s)']
    t = cpu_time(m, uptime_s)
    lines.append('%-40s %5d %5d %5d     %s  %8.1f' % ('Domain-0', 0, m['dom0_mem_mib'], m['online_vcpus'], 'r-----', t))
    return '\n'.join(lines) + '\n'


def cpu_time(m, uptime_s):
    return round(uptime_s * 0.05 * m['online_vcpus'] + 2.0, 1)


def fmt_vcpu_list(m, uptime_s):
    lines = ['%-32s %5s %5s %5s %5s %9s %s' % ('Name', 'ID', 'VCPU', 'CPU', 'State', 'Time(s)', 'Affinity (Hard / Soft)')]
    per = cpu_time(m, uptime_s) / max(m['online_vcpus'], 1)
    for i in range(m['vcpus']):
        if i >= m['online_vcpus']:
            lines.append('%-32s %5u %5u' % ('Domain-0', 0, i) + '%5s %3s%sp ' % ('-', '-', '-') + '%9.1f  %s / %s' % (
                0.0, m['hard_affinity'][i], m['soft_affinity']))
            continue
        cpu = int(m['hard_affinity'][i]) if m['pinned'] else i % m['nr_cpus']
        running = i == 0
        state = '%3s%s-' % ('r' if running else '-', '-' if running else 'b')
        lines.append('%-32s %5u %5u' % ('Domain-0', 0, i) + '%5u %s ' % (cpu, state) + '%9.1f  %s / %s' % (
            per * (1.3 if running else 0.9), m['hard_affinity'][i], m['soft_affinity']))
    return '\n'.join(lines) + '\n'


def info_pairs(m, cfg, boot, hostname):
    vmx = cfg.get('cpuFlags', 'vmx') in ('vmx', 'svm')
    kver = boot.get('kernelRelease', '')
    pairs = [
        ('host', hostname),
        ('release', kver),
        ('version', boot.get('kernelVersion', '#1 SMP Mon Nov 2 13:55:04 UTC 2020')),
        ('machine', 'x86_64'),
        ('nr_cpus', str(m['nr_cpus'])),
        ('max_cpu_id', str(m['max_cpu_id'])),
        ('nr_nodes', '1'),
        ('cores_per_socket', str(m['nr_cpus'])),
        ('threads_per_core', '1'),
        ('cpu_mhz', '2394'),
        ('hw_caps', 'bfebfbff:77fafbff:2c100800:00000121:0000000f:009c6fbf:00000000:00000100'),
        ('virt_caps', ' hvm hvm_directio' if vmx else ''),
        ('total_memory', str(m['total_memory'])),
        ('free_memory', str(m['free_memory'])),
        ('sharing_freed_memory', '0'),
        ('sharing_used_memory', '0'),
        ('outstanding_claims', '0'),
        ('free_cpus', '0'),
        ('xen_major', '4'),
        ('xen_minor', '10'),
        ('xen_extra', '.4.134.g6ea37c69c7-2.el6'),
        ('xen_version', '4.10.4.134.g6ea37c69c7-2.el6'),
        ('xen_caps', 'xen-3.0-x86_64 xen-3.0-x86_32p' + (' hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64' if vmx else '')),
        ('xen_scheduler', 'credit'),
        ('xen_pagesize', '4096'),
        ('platform_params', 'virt_start=0xffff800000000000'),
        ('xen_changeset', ''),
        ('xen_commandline', m['cmdline']),
        ('cc_compiler', 'gcc (GCC) 4.4.7 20120313 (Red Hat 4.4.7-23)'),
        ('cc_compile_by', 'mockbuild'),
        ('cc_compile_domain', 'centos.org'),
        ('cc_compile_date', 'Thu Dec 17 14:21:23 UTC 2020'),
        ('build_id', '2b1f1b6c3e5e9c2f0c0b54d94d9a7f0e8cbb9c51'),
        ('xend_config_format', '4'),
    ]
    return pairs


def info_line(k, v):
    if k == 'virt_caps':
        return 'virt_caps              :' + v
    return '%-23s: %s' % (k, v)


def dmesg(m, cfg, boot):
    """The hypervisor console ring as `xl dmesg` prints it after a normal boot."""
    L = []
    for msg in m['messages']:
        L.append('(XEN) ' + msg)
    L += [
        '(XEN) Xen version %s (mockbuild@centos.org) (gcc (GCC) 4.4.7 20120313 (Red Hat 4.4.7-23)) debug=n  Thu Dec 17 14:21:23 UTC 2020' % common.XEN_FULL,
        '(XEN) Latest ChangeSet: ',
        '(XEN) Bootloader: GNU GRUB 0.97',
        '(XEN) Command line: ' + m['cmdline'],
        '(XEN) Xen image load base address: 0',
        '(XEN) Video information:',
        '(XEN)  VGA is text mode 80x25, font 8x16',
        '(XEN) Disc information:',
        '(XEN)  Found 1 MBR signatures',
        '(XEN)  Found 1 EDD information structures',
        '(XEN) Xen-e820 RAM map:',
        '(XEN)  0000000000000000 - 000000000009fc00 (usable)',
        '(XEN)  0000000000100000 - %016x (usable)' % (cfg.get('memMiB', 4096) * 1024 * 1024),
        '(XEN) System RAM: %dMB (%dkB)' % (m['total_memory'], m['total_memory'] * 1024),
        '(XEN) ACPI: RSDP 000F6A10, 0014 (r0 BOCHS )',
        '(XEN) Using APIC driver default',
        '(XEN) Allocated console ring of 16 KiB.',
        '(XEN) VMX: Supported advanced features:' if cfg.get('cpuFlags', 'vmx') == 'vmx' else '(XEN) HVM: ASIDs enabled.' if cfg.get('cpuFlags') == 'svm' else '(XEN) HVM: none available',
        '(XEN) Brought up %d CPUs' % m['nr_cpus'],
        '(XEN) Dom0 has maximum %d VCPUs' % m['vcpus'],
        '(XEN) *** LOADING DOMAIN 0 ***',
        '(XEN)  Xen  kernel: 64-bit, lsb, compat32',
        '(XEN)  Dom0 kernel: 64-bit, PAE, lsb, paddr 0x1000000 -> 0x282c000',
        '(XEN) PHYSICAL MEMORY ARRANGEMENT:',
        '(XEN)  Dom0 alloc.:   0000000034000000->0000000038000000 (%d pages to be allocated)' % m['dom0_pages'],
        '(XEN)  Init. ramdisk: 000000013c5ce000->000000013ffffc00',
        '(XEN) VIRTUAL MEMORY ARRANGEMENT:',
        '(XEN)  Loaded kernel: ffffffff81000000->ffffffff8282c000',
        '(XEN)  ENTRY ADDRESS: ffffffff8226d180',
        '(XEN) Scrubbing Free RAM on 1 nodes using %d CPUs' % m['nr_cpus'],
        '(XEN) ..done.',
        '(XEN) Initial low memory virq threshold set at 0x4000 pages.',
        '(XEN) Std. Loglevel: All',
        '(XEN) Guest Loglevel: All',
        '(XEN) *** Serial input -> DOM0 (type \'CTRL-a\' three times to switch input to Xen)',
        '(XEN) Freed 480kB init memory',
    ]
    return '\n'.join(L) + '\n'


def panic_lines(reason, noreboot=False):
    L = ['(XEN) ', '(XEN) ****************************************', '(XEN) Panic on CPU 0:',
         '(XEN) ' + reason, '(XEN) ****************************************', '(XEN) ']
    L.append("(XEN) Manual reset required ('noreboot' specified)" if noreboot else '(XEN) Reboot in five seconds...')
    return L


def uptime_s(boot):
    t = boot.get('bootTimeMs')
    return max(0.0, (time.time() * 1000 - t) / 1000.0) if t else 0.0
