"""Entry point of every stand-in program on the simulated host (the files at /usr/bin/yum, /bin/rpm,
/usr/sbin/xl, /sbin/grub, /sbin/grubby, /sbin/new-kernel-pkg, /usr/bin/grub-bootxen.sh, /sbin/service,
/sbin/chkconfig call run(NAME, argv))."""
import os
import sys

from . import common


def run(name, argv):
    try:
        if name == 'yum':
            from . import yum
            return yum.main(argv)
        if name == 'rpm':
            from . import rpmdb
            return rpmdb.main(argv)
        if name == 'xl':
            from . import xl
            return xl.main(argv)
        if name == 'grub':
            from . import grubshell
            return grubshell.main(argv)
        if name == 'grubby':
            from . import grubby
            return grubby.grubby_main(argv)
        if name == 'new-kernel-pkg':
            from . import grubby
            return grubby.nkp_main(argv)
        if name == 'grub-bootxen.sh':
            from . import grubby
            return grubby.bootxen_main(argv)
        if name == 'service':
            return service(argv)
        if name == 'chkconfig':
            return chkconfig(argv)
    except BrokenPipeError:
        return 141
    except KeyboardInterrupt:
        return 130
    common.err('%s: not simulated by the test bed' % name)
    return 127


def service(argv):
    a = argv[1:]
    if len(a) < 2:
        common.err('Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]')
        return 1
    name, action = a[0], a[1]
    if name in ('xencommons', 'xendomains'):
        if not os.path.exists('/etc/rc.d/init.d/' + name):
            common.err('%s: unrecognized service' % name)
            return 1
        boot = common.boot_state()
        if boot.get('hypervisor') != 'xen':
            return 0 if action != 'status' else _stopped(name)
        from . import xl
        ready = xl.xencommons_ready(boot, common.host_config())
        if action == 'status':
            if ready:
                common.out('xenstored (pid 1093) is running...' if name == 'xencommons' else 'xendomains is running')
                return 0
            return _stopped(name)
        return 0
    if name == 'sshd' and action == 'status':
        common.out('openssh-daemon (pid  %d) is running...' % _sshd_pid())
        return 0
    common.err('%s: unrecognized service' % name)
    return 1


def _stopped(name):
    common.out('xenstored is stopped' if name == 'xencommons' else 'xendomains is stopped')
    return 3


def _sshd_pid():
    try:
        return int(open('/run/sshd.pid').read().strip())
    except (OSError, ValueError):
        return 0


def chkconfig(argv):
    a = argv[1:]
    state = common.read_json('/etc/chkconfig.testbed.json', {}) or {}
    state.setdefault('sshd', [2, 3, 4, 5])
    if a and a[0] == '--list':
        names = a[1:] or sorted(state)
        rc = 0
        for n in names:
            if n not in state:
                common.err('service %s supports chkconfig, but is not referenced in any runlevel (run \'chkconfig --add %s\')' % (n, n)
                           if os.path.exists('/etc/rc.d/init.d/' + n) else 'error reading information on service %s: No such file or directory' % n)
                rc = 1
                continue
            common.out('%-15s\t' % n + '\t'.join('%d:%s' % (r, 'on' if r in state[n] else 'off') for r in range(7)))
        return rc
    if len(a) == 2 and a[1] in ('on', 'off'):
        state[a[0]] = [2, 3, 4, 5] if a[1] == 'on' else []
        common.write_json('/etc/chkconfig.testbed.json', state)
        return 0
    return 0


if __name__ == '__main__':
    sys.exit(run(os.path.basename(sys.argv[0]), sys.argv))
