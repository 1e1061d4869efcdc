"""`xl` of Xen 4.10 on the simulated host: list, info [KEY], vcpu-list, dmesg, mem-set, vcpu-set.
Fails exactly like the real one when the host did not boot Xen, when run as non-root, and while
xencommons has not started yet (the first seconds after a Xen boot)."""
import os
import socket
import sys

from . import common, xen

NOT_XEN = ('xencall: error: Could not obtain handle on privileged command interface: No such file or directory\n'
           'libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such file or directory\n'
           'cannot init xl context\n')
NOT_ROOT = ('xencall: error: Could not obtain handle on privileged command interface: Permission denied\n'
            'libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: Permission denied\n'
            'cannot init xl context\n')
NO_XENSTORE = ('libxl: error: libxl.c:110:libxl_ctx_alloc: cannot connect to xenstore: No such file or directory\n'
               'cannot init xl context\n')
STATE = os.path.join(common.RUN, 'xl-state.json')


def xencommons_ready(boot, cfg):
    delay = common.fault('slow-xencommons')
    try:
        delay = int(float(delay)) if delay is not None and delay.strip() else None
    except ValueError:
        delay = None
    if delay is None:
        delay = int(cfg.get('xencommonsDelayMs', 1000))
    return common.now_ms() >= int(boot.get('bootTimeMs', 0)) + delay


def current_model(boot):
    m = dict(boot['xen'])
    st = common.read_json(STATE, {}) or {}
    m.update(st)
    return m


def usage():
    sys.stderr.write('Usage xl [-vfNt] <subcommand> [args]\n\nxl full list of subcommands:\n\n'
                     ' list                List information about all/some domains\n'
                     ' info                Get information about Xen host\n'
                     ' dmesg               Read and/or clear dmesg buffer\n'
                     ' vcpu-list           List the VCPUs for all/some domains\n'
                     ' mem-set             Set the current memory usage for a domain\n'
                     ' vcpu-set            Set the number of active VCPUs allowed for the domain\n')


def dom_ok(arg):
    return arg in ('0', 'Domain-0')


def read_dmesg(args):
    """Xen's console ring of this boot (the boot wrote it at power-on); `-c` clears it, as xl dmesg -c does."""
    path = os.path.join(common.RUN, 'xen-dmesg')
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        text = ''
    if '-c' in args:
        with open(path, 'w'):
            pass
    return text


def bad_domain(args):
    """xl's refusal of the first argument that names no domain here (only Domain-0 exists): True when refused."""
    for d in args:
        if not dom_ok(d):
            sys.stderr.write('%s is an invalid domain identifier (rc=-6)\n' % d)
            return True
    return False


def main(argv):
    args = [a for a in argv[1:] if a not in ('-v', '-f', '-N', '-t')]
    if not args:
        usage()
        return 1
    boot = common.boot_state()
    cfg = common.host_config()
    if boot.get('hypervisor') != 'xen':
        sys.stderr.write(NOT_XEN)
        return 1
    if os.geteuid() != 0:
        sys.stderr.write(NOT_ROOT)
        return 1
    if not xencommons_ready(boot, cfg):
        sys.stderr.write(NO_XENSTORE)
        return 1
    if boot.get('real') is not None:
        return real_main(args, boot['real'].get('report') or {})
    m = current_model(boot)
    up = xen.uptime_s(boot)
    cmd, rest = args[0], args[1:]
    if cmd in ('list', 'li'):
        rest = [a for a in rest if a not in ('-l', '--long', '-v', '--verbose', '-Z', '--context', '-c', '--cpupool', '-n', '--numa')]
        if bad_domain(rest):
            return 1
        sys.stdout.write(xen.fmt_list(m, up))
        return 0
    if cmd == 'info':
        keys = [a for a in rest if not a.startswith('-')]
        pairs = xen.info_pairs(m, cfg, boot, socket.gethostname())
        lines = [(k, v, xen.info_line(k, v)) for k, v in pairs]
        if keys:
            for k, v, line in lines:
                if any(line.startswith(q) for q in keys):
                    sys.stdout.write(v.lstrip(' ') + '\n' if k == 'virt_caps' else v + '\n')
            return 0
        sys.stdout.write(''.join(l + '\n' for _, _, l in lines))
        return 0
    if cmd == 'vcpu-list':
        if bad_domain(rest):
            return 1
        sys.stdout.write(xen.fmt_vcpu_list(m, up))
        return 0
    if cmd == 'dmesg':
        sys.stdout.write(read_dmesg(rest))
        return 0
    if cmd == 'mem-set':
        if len(rest) != 2 or not dom_ok(rest[0]):
            sys.stderr.write("'xl mem-set' requires 2 arguments.\n\n" if len(rest) != 2 else '%s is an invalid domain identifier (rc=-6)\n' % rest[0])
            return 1
        kb = parse_mem_kb(rest[1])
        if kb < 0:
            sys.stderr.write('invalid memory size: %s\n' % rest[1])
            return 1
        mib = kb // 1024
        mx = m.get('dom0_max_pages')
        if mx is not None and mib * 256 > mx:
            sys.stderr.write('libxl: error: libxl_mem.c:268:libxl_set_memory_target: memory_dynamic_max must be less than or equal to memory_static_max\n')
            return 1
        save({'dom0_mem_mib': mib, 'dom0_pages': mib * 256})
        return 0
    if cmd == 'vcpu-set':
        if len(rest) != 2 or not dom_ok(rest[0]):
            sys.stderr.write("'xl vcpu-set' requires 2 arguments.\n\n")
            return 1
        try:
            n = int(rest[1])
        except ValueError:
            sys.stderr.write('Invalid argument %s\n' % rest[1])
            return 1
        if n < 1 or n > m['vcpus']:
            sys.stderr.write('You specified %d VCPUs, but domain 0 only has %d max VCPUs\n' % (n, m['vcpus']) if n > 0 else 'Invalid argument %s\n' % rest[1])
            return 1
        save({'online_vcpus': n})
        return 0
    if cmd in ('vcpu-pin',):
        if m['pinned']:
            sys.stderr.write('libxl: error: libxl_sched.c:62:libxl__set_vcpuaffinity: Domain 0:Setting vcpu affinity: Invalid argument\n'
                             'Could not set affinity.\n')
            return 1
        return 0
    sys.stderr.write("command not implemented\n" if cmd in ('create', 'destroy', 'shutdown', 'reboot', 'pause', 'unpause', 'console', 'save', 'restore', 'migrate') else '')
    usage()
    return 1


def real_main(args, report):
    """A host whose boot was real (host spec realBoot): xl answers with what the real Xen's xl printed in that boot
    (the stand-in initramfs ran it and the serial line carried it here). The machine has powered off since: what
    would change it (mem-set, vcpu-set, vcpu-pin, ...) is not available."""
    cmd, rest = args[0], args[1:]
    text = None
    if cmd in ('list', 'li'):
        rest = [a for a in rest if not a.startswith('-')]
        if bad_domain(rest):
            return 1
        text = report.get('xlList')
    elif cmd == 'info':
        text = report.get('xlInfo')
        keys = [a for a in rest if not a.startswith('-')]
        if keys and text is not None:
            for line in text.splitlines():
                if any(line.startswith(q) for q in keys):
                    sys.stdout.write(line.split(':', 1)[1].strip() + '\n' if ':' in line else line + '\n')
            return 0
    elif cmd == 'vcpu-list':
        if bad_domain(rest):
            return 1
        text = report.get('xlVcpuList')
    elif cmd == 'dmesg':
        text = read_dmesg(rest)
    else:
        sys.stderr.write('xl %s: not available on this test-bed host: its boot was real and xl answers with what that '
                         "boot's xl printed (the machine has powered off since)\n" % cmd)
        return 1
    if text is None:
        sys.stderr.write('xl %s: the real boot did not report it\n' % cmd)
        return 1
    sys.stdout.write(text if text.endswith('\n') or not text else text + '\n')
    return 0


def parse_mem_kb(s):
    i = 0
    while i < len(s) and s[i].isdigit():
        i += 1
    if i == 0:
        return -1
    v = int(s[:i])
    u = s[i:].lower()
    if u in ('', 'k'):
        return v
    if u == 'm':
        return v << 10
    if u == 'g':
        return v << 20
    if u == 't':
        return v << 30
    if u == 'b':
        return v >> 10
    return -1


def save(upd):
    st = common.read_json(STATE, {}) or {}
    st.update(upd)
    common.write_json(STATE, st)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
