"""lab.py FLEETDIR -- PID 1 of one fleet of simulated hosts (a PID + mount namespace of its own).

Started by test/testbed/index.ts as
    unshare --pid --mount --fork --kill-child --propagation private -- python3 lab.py FLEETDIR
so one SIGKILL to that unshare ends every host of the fleet, their mounts and loop devices.

It prepares each host's disk (overlay upper dir, a loop-mounted ext4 /boot image), then runs one
"power supply" per host: boot (lab/init.sh in fresh mount/UTS/IPC/PID namespaces), and after the
host's init exits: reboot after the downtime, or stay off / failed until powered on.
Control from outside (index.ts): files in HOSTDIR/ctl plus a signal to this process
    ctl/power-on  + SIGUSR1   power button
    ctl/power-cut + SIGUSR1   hard power cut (SIGKILL to the host's namespaces)
State for outside: ctl/state = booting|up|down|bootfail|off. The fleet ends by itself when the
owning process (the test worker) is gone."""
import asyncio
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTBED = os.path.dirname(HERE)
CENTOS_TOP = {'bin', 'boot', 'dev', 'etc', 'home', 'lib', 'lib32', 'lib64', 'libx32', 'lost+found', 'media', 'mnt',
              'opt', 'proc', 'root', 'run', 'sbin', 'selinux', 'srv', 'sys', 'tmp', 'usr', 'var'}
HIDE_FILES = ['etc/os-release', 'usr/lib/os-release', 'etc/debian_version', 'etc/lsb-release', 'etc/issue.net',
              'etc/hostname', 'etc/motd']
# this machine's own Xen and GRUB 2 tools must not show through in a CentOS 6 host that has no Xen yet
HIDE_GLOBS = ['usr/sbin/xl', 'usr/sbin/xen*', 'usr/bin/xen*', 'usr/bin/pygrub', 'usr/lib/xen-*', 'usr/lib/xen',
              'etc/xen', 'etc/default/xen*', 'etc/init.d/xen*', 'etc/default/grub', 'etc/grub.d', 'usr/sbin/grub*',
              'usr/bin/grub*', 'usr/sbin/update-grub*', 'usr/sbin/grubby', 'usr/sbin/new-kernel-pkg', 'usr/bin/rpm*',
              'usr/bin/yum', 'usr/sbin/chkconfig']


def now():
    t = time.time()
    return time.strftime('%H:%M:%S', time.localtime(t)) + '.%03d' % int((t % 1) * 1000)


class Host:
    def __init__(self, fleet, h):
        self.fleet = fleet
        self.name = h['name']
        self.dir = h['dir']
        self.ctl = os.path.join(self.dir, 'ctl')
        self.spec = h
        self.proc = None
        self.wake = asyncio.Event()
        self.cut = asyncio.Event()

    def log(self, msg):
        with open(os.path.join(self.ctl, 'console.log'), 'a') as f:
            f.write('[%s %s power] %s\n' % (now(), self.name, msg))

    def set_state(self, st):
        p = os.path.join(self.ctl, 'state')
        with open(p + '.tmp', 'w') as f:
            f.write(st + '\n')
        os.replace(p + '.tmp', p)

    def flag(self, name, consume=True):
        p = os.path.join(self.ctl, name)
        if os.path.exists(p):
            if consume:
                try:
                    os.unlink(p)
                except OSError:
                    pass
            return True
        return False

    # ---- the disk -------------------------------------------------------------------------------
    def prepare(self):
        d = self.dir
        for sub in ('upper', 'work', 'root', 'bootmnt', 'ctl/faults', 'ctl/run', 'ctl/fired'):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        up = os.path.join(d, 'upper')
        # hide everything at / that a CentOS 6 box would not have, and Debian's identity files
        for e in os.listdir('/'):
            if e not in CENTOS_TOP:
                whiteout(os.path.join(up, e))
        for f in HIDE_FILES:
            if os.path.lexists('/' + f):
                whiteout(os.path.join(up, f))
        for g in HIDE_GLOBS:
            for f in glob.glob('/' + g):
                whiteout(os.path.join(up, f.lstrip('/')))
        # directories whose lower content must not show through (root's and users' homes, /boot)
        opaque = ['root', 'home', 'etc/sudoers.d', 'var/lib/rpm', 'etc/yum.repos.d', 'etc/pki/rpm-gpg', 'var/cache/yum',
                  'tmp', 'var/tmp', 'mnt', 'opt', 'srv', 'media']
        if not self.spec.get('bootPartition', True):
            opaque.append('boot')
        for o in opaque:
            p = os.path.join(up, o)
            os.makedirs(p, exist_ok=True)
            os.setxattr(p, 'trusted.overlay.opaque', b'y')
            if o in ('tmp', 'var/tmp'):
                os.chmod(p, 0o1777)    # on the host's disk: kept across reboots, as on CentOS 6
        os.makedirs(os.path.join(up, 'usr/lib/dom0up-testbed'), exist_ok=True)
        os.makedirs(os.path.join(up, 'boot'), exist_ok=True)
        so = self.fleet.preload
        if so:
            os.makedirs(os.path.join(up, 'usr/lib/testbed'), exist_ok=True)
            shutil.copyfile(so, os.path.join(up, 'usr/lib/testbed/libtbredirect.so'))
            os.chmod(os.path.join(up, 'usr/lib/testbed/libtbredirect.so'), 0o755)
            with open(os.path.join(up, 'etc/ld.so.preload'), 'w') as f:
                f.write('/usr/lib/testbed/libtbredirect.so\n')
        bootdev = ''
        if self.spec.get('bootPartition', True):
            img = os.path.join(d, 'boot.img')
            size = int(self.spec.get('bootSizeMiB') or 500)
            with open(img, 'wb') as f:
                f.truncate(size << 20)
            run(['mkfs.ext4', '-q', '-F', '-m', '0', '-L', '/boot', '-U', self.spec.get('bootUuid', 'random'),
                 '-E', 'lazy_itable_init=1,lazy_journal_init=1', img])
            run(['mount', '-o', 'loop,rw,relatime', img, os.path.join(d, 'bootmnt')])
            st = os.stat(os.path.join(d, 'bootmnt'))
            bootdev = '%d:%d' % (os.major(st.st_dev), os.minor(st.st_dev))
        env = {
            'NAME': self.name, 'ADDR': self.spec['address'], 'PORT': str(self.spec['port']),
            'BOOTPART': '1' if self.spec.get('bootPartition', True) else '0', 'BOOTDEV': bootdev,
            # what df shows for /: the LVM volume, or the partition a UUID= root names
            'ROOTDEV': self.spec['rootDevice'] if not self.spec['rootDevice'].startswith('UUID=') else '/dev/sda1', 'REBOOT_DELAY_MS': str(int(self.spec.get('rebootDelayMs', 300))),
            'PANIC_MS': str(int(self.spec.get('xenPanicRebootMs', 5000))), 'UEFI': '1' if self.spec.get('uefi') else '0',
        }
        with open(os.path.join(self.ctl, 'host.env'), 'w') as f:
            for k, v in env.items():
                f.write("%s='%s'\n" % (k, v.replace("'", "'\\''")))

    # ---- the power supply -----------------------------------------------------------------------
    async def power(self):
        init = os.path.join(HERE, 'init.sh')
        while True:
            if self.flag('power-cut'):
                self.log('power cut (while down)')
                await self.stay('off')
            self.set_state('booting')
            # the first boot installs the disk (CPU-heavy): only a few hosts of a large fleet at once,
            # so that 500 hosts install one after the other instead of thrashing the machine together
            first = not os.path.exists(os.path.join(self.ctl, 'seeded'))
            if first:
                await self.fleet.installing.acquire()
            self.proc = await asyncio.create_subprocess_exec(
                'unshare', '--mount', '--uts', '--ipc', '--pid', '--fork', '--kill-child', '--propagation', 'private',
                '--', 'bash', init, self.dir, stdin=subprocess.DEVNULL)
            if first:
                waiting = asyncio.ensure_future(self.proc.wait())
                while not waiting.done():
                    try:
                        with open(os.path.join(self.ctl, 'state')) as f:
                            if f.read().strip() == 'up':
                                break
                    except OSError:
                        pass
                    await asyncio.wait([waiting], timeout=0.05)
                self.fleet.installing.release()
                rc = await waiting
            else:
                rc = await self.proc.wait()
            self.proc = None
            try:
                os.unlink(os.path.join(self.ctl, 'init.pid'))
            except OSError:
                pass
            if rc == 45:
                self.log('reset at a fault point')
                rc = 42                 # the machine boots again, like after a reboot
            if rc == 42 and not os.path.exists(os.path.join(self.ctl, 'faults', 'never-return')):
                down = int(self.spec.get('downtimeMs', 1000))
                self.set_state('down')
                self.log('reboot: down for %d ms' % down)
                try:
                    await asyncio.wait_for(self.cut.wait(), down / 1000.0)
                except asyncio.TimeoutError:
                    pass
                self.cut.clear()
                continue
            if rc == 42:
                self.log('reboot: the host does not come back (fault knob never-return); off until powered on')
                await self.stay('off')
            elif rc == 44:
                self.log('power cut at a fault point')
                await self.stay('off')
            elif rc == 50:
                self.log('boot failed; the host stays down until powered on')
                await self.stay('bootfail')
            elif rc == 60:
                self.log('seeding the disk failed')
                await self.stay('bootfail')
            elif rc in (-9, 137):
                self.log('power cut')
                await self.stay('off')
            else:
                self.log('powered off (rc=%s)' % rc)
                await self.stay('off')

    async def stay(self, state):
        """Off (or failed) until the power button is pressed (ctl/power-on + SIGUSR1)."""
        # stale presses are dropped BEFORE the state says 'off': a controller that sees 'off' and
        # presses the button at once must not have its press eaten (a race seen under load)
        self.flag('power-on')
        self.flag('power-cut')
        self.wake.clear()
        self.set_state(state)
        while not self.flag('power-on'):
            await self.wake.wait()
            self.wake.clear()
        self.flag('power-cut')
        self.cut.clear()
        self.log('power on')

    def poke(self):
        cut = os.path.join(self.ctl, 'power-cut')
        if os.path.exists(cut):
            if self.proc is not None:
                self.flag('power-cut')
                self.log('power cut requested')
                try:
                    self.proc.kill()
                except ProcessLookupError:
                    pass
            else:
                self.cut.set()
        self.wake.set()


def whiteout(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    os.mknod(path, 0o600 | 0o020000, os.makedev(0, 0))


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError('%s failed (%d): %s' % (' '.join(cmd), r.returncode, r.stdout.strip()))


def proc_start(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[19]
    except (OSError, IndexError):
        return None


class Fleet:
    def __init__(self, d):
        self.dir = d
        with open(os.path.join(d, 'fleet.json')) as f:
            self.cfg = json.load(f)
        self.preload = self.cfg.get('preload')
        self.hosts = [Host(self, h) for h in self.cfg['hosts']]
        # hosts installing their disk (first boot) at once: enough to keep the CPUs busy
        self.installing = asyncio.Semaphore(max(4, 2 * (os.cpu_count() or 1)))

    async def watchdog(self):
        owner = int(self.cfg['ownerPid'])
        start = self.cfg.get('ownerStart')
        while True:
            await asyncio.sleep(1)
            s = proc_start(owner)
            if s is None or (start and s != start) or not os.path.exists(os.path.join(self.dir, 'fleet.json')):
                # the test worker that owns this fleet is gone: end every host and remove the disks
                self.shutdown()

    def shutdown(self):
        """End the fleet for good: kill every host, remove the fleet's disks and slots, exit (PID 1 exiting
        ends whatever is left in the namespace, and with the mount namespace the /boot loop devices go)."""
        for h in self.hosts:
            if h.proc is not None:
                try:
                    h.proc.kill()
                except ProcessLookupError:
                    pass
        deadline = time.time() + 5
        for h in self.hosts:
            while h.proc is not None and h.proc.returncode is None and time.time() < deadline:
                try:
                    os.waitpid(h.proc.pid, os.WNOHANG)
                except ChildProcessError:
                    break
                time.sleep(0.02)
        for h in self.hosts:
            subprocess.run(['umount', '-l', os.path.join(h.dir, 'bootmnt')], stderr=subprocess.DEVNULL)
        state = os.path.dirname(os.path.dirname(self.dir))
        for slot in self.cfg.get('slots', []):
            d = os.path.join(state, 'slots', '%03d' % slot)
            try:
                with open(os.path.join(d, 'owner.json')) as f:
                    if json.load(f).get('fleet') == self.cfg.get('id'):
                        shutil.rmtree(d, ignore_errors=True)
            except (OSError, ValueError):
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
        os._exit(0)

    async def main(self):
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, lambda: [h.poke() for h in self.hosts])
        loop.add_signal_handler(signal.SIGTERM, self.shutdown)
        for h in self.hosts:
            h.set_state('off')
        t0 = time.time()
        await asyncio.gather(*[loop.run_in_executor(None, h.prepare) for h in self.hosts])
        with open(os.path.join(self.dir, 'lab.ready'), 'w') as f:
            f.write('%.3f\n' % (time.time() - t0))
        await asyncio.gather(self.watchdog(), *[h.power() for h in self.hosts])


def main():
    d = sys.argv[1]
    # our PID in the machine's PID namespace (/proc is the machine's: the lab does not remount it)
    with open('/proc/self/stat') as f:
        gpid = f.read().split()[0]
    with open(os.path.join(d, 'lab.pid'), 'w') as f:
        f.write(gpid + '\n')
    fleet = Fleet(d)
    try:
        asyncio.run(fleet.main())
    except Exception as e:  # noqa: BLE001 -- report, then end the fleet
        with open(os.path.join(d, 'lab.error'), 'w') as f:
            f.write('%s: %s\n' % (type(e).__name__, e))
        raise


if __name__ == '__main__':
    main()
