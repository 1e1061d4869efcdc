// What a simulated host looks like from SSH: a fresh CentOS 6.10 install (and its variants).
import fs from 'node:fs';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readHostFile, startHosts, type Fleet, type TestHost } from './index.js';
import { connect, exec } from './ssh-helpers.js';
import { describeTestbed } from './vitest.js';

const K = '2.6.32-754.el6.x86_64';

describeTestbed('a fresh simulated CentOS 6.10 host', () => {
  let fleet: Fleet;
  let stock: TestHost, noboot: TestHost, lvm: TestHost, odd: TestHost;
  const conns: Client[] = [];
  const sh = async (h: TestHost, cmd: string) => {
    const c = await connect(h);
    conns.push(c);
    return exec(c, cmd);
  };
  beforeAll(async () => {
    fleet = await startHosts(
      [
        { name: 'c6-stock' },
        { name: 'c6-noboot', bootPartition: false },
        { name: 'c610', layout: 'seed-lvm', memMiB: 16384, cpus: 8 },
        { name: 'c6-odd', release: 'CentOS Linux release 7.9.2009 (Core)', arch: 'i686', uefi: true, cpuFlags: 'none', cpus: 1, memMiB: 1024, bootSizeMiB: 64 },
      ],
      { downtimeMs: 150, rebootDelayMs: 100 },
    );
    [stock, noboot, lvm, odd] = fleet.hosts as [TestHost, TestHost, TestHost, TestHost];
  });
  afterAll(async () => {
    conns.forEach((c) => c.end());
    await fleet?.stop();
  });

  it('hands out loopback addresses, the key and a known_hosts file', () => {
    for (const h of fleet.hosts) {
      expect(h.host).toMatch(/^127\.0\.[0-3]\.\d+$/); // 127.0.0.10–.249, then 127.0.1.x–127.0.3.x
      expect(h.hostKey).toMatch(/^ssh-rsa AAAA/);
      expect(h.knownHostsLine).toBe(`[${h.host}]:${h.port} ${h.hostKey}`);
    }
    expect(new Set(fleet.hosts.map((h) => h.host)).size).toBe(4);
    expect(fs.readFileSync(fleet.knownHostsPath, 'utf8').trim().split('\n')).toEqual(fleet.hosts.map((h) => h.knownHostsLine));
  });

  it('is CentOS 6.10 with the stock kernel and the EL6 grub.conf layout', async () => {
    const r = await sh(
      stock,
      'cat /etc/redhat-release; uname -r; uname -m; uname -a; hostname; readlink /etc/grub.conf; readlink /boot/grub/menu.lst; stat -c %a /boot/grub/grub.conf; ' +
        'ls /boot; grep -v "^#" /etc/sysconfig/kernel | grep .; ls /etc/yum.repos.d; grep baseurl /etc/yum.repos.d/CentOS-Base.repo | head -1; test -e /etc/os-release || echo no-os-release',
    );
    const out = r.stdout.split('\n');
    expect(out.slice(0, 3)).toEqual(['CentOS release 6.10 (Final)', K, 'x86_64']);
    expect(out[3]).toBe(`Linux c6-stock ${K} #1 SMP Tue Jun 19 21:26:04 UTC 2018 x86_64 x86_64 x86_64 GNU/Linux`);
    expect(out[4]).toBe('c6-stock');
    expect(out[5]).toBe('../boot/grub/grub.conf');
    expect(out[6]).toBe('grub.conf');
    expect(out[7]).toBe('600');
    for (const f of [`vmlinuz-${K}`, `initramfs-${K}.img`, `System.map-${K}`, `config-${K}`, 'grub']) expect(out).toContain(f);
    expect(r.stdout).toContain('UPDATEDEFAULT=yes\nDEFAULTKERNEL=kernel');
    expect(r.stdout).toContain('CentOS-Base.repo');
    expect(r.stdout).toContain('baseurl=http://vault.centos.org/6.10/os/$basearch/');
    expect(r.stdout).toContain('no-os-release');
  });

  it('has /boot on its own size-limited partition (different device), or not', async () => {
    const a = await sh(stock, 'stat -c %d / /boot; df -P /boot | tail -1; findmnt -n -o FSTYPE /boot');
    const [rootDev, bootDev] = a.stdout.split('\n');
    expect(rootDev).not.toBe(bootDev);
    expect(a.stdout).toMatch(/\/dev\/sda1\s+\d+\s+\d+\s+\d+\s+\d+%\s+\/boot/);
    expect(a.stdout).toContain('ext4');
    const b = await sh(noboot, 'stat -c %d / /boot; grep -c "^\\s*kernel /boot/vmlinuz" /boot/grub/grub.conf');
    const [r2, b2, n] = b.stdout.split('\n');
    expect(r2).toBe(b2);
    expect(n).toBe('1');
    const small = await sh(odd, "df -P -m /boot | awk 'NR==2{print $2}'");
    expect(Number(small.stdout.trim())).toBeLessThan(64);
  });

  it('reports its memory and CPUs through /proc (knobs)', async () => {
    const r = await sh(lvm, "awk '/MemTotal/{print $2}' /proc/meminfo; grep -c ^processor /proc/cpuinfo; grep -cw vmx /proc/cpuinfo");
    const [mem, cpus, vmx] = r.stdout.trim().split('\n').map(Number);
    expect(mem).toBeGreaterThan(15 * 1024 * 1024);
    expect(mem).toBeLessThan(16 * 1024 * 1024);
    expect(cpus).toBe(8);
    expect(vmx).toBe(8);
    const o = await sh(odd, "grep -c ^processor /proc/cpuinfo; grep -cwE 'vmx|svm' /proc/cpuinfo; uname -m; cat /etc/redhat-release; test -d /sys/firmware/efi && echo efi");
    expect(o.stdout.split('\n')).toEqual(['1', '0', 'i686', 'CentOS Linux release 7.9.2009 (Core)', 'efi', '']);
    const s = await sh(stock, 'test -d /sys/firmware/efi || echo no-efi; test -e /proc/xen/capabilities || echo no-xen; test -e /sys/hypervisor/type || echo no-hv');
    expect(s.stdout).toBe('no-efi\nno-xen\nno-hv\n');
  });

  it('keeps the seed notes grub.conf with its continuation lines', async () => {
    const conf = await readHostFile(lvm, '/etc/grub.conf');
    expect(conf).toContain('KEYTABLE=us LANG=\\\nen_US.UTF-8 rd_NO_MD');
    expect(conf).toContain('rd_NO_DM rh\\\ngb quiet\n');
    const r = await sh(lvm, 'cat /proc/cmdline');
    expect(r.stdout).toContain('LANG= en_US.UTF-8');
    expect(r.stdout).toContain('rh gb quiet');
  });

  it('is isolated: its own processes, hostname, boot_id, and a read-only /proc/sys', async () => {
    const r = await sh(stock, 'ps -e -o comm= | sort -u | tr "\\n" " "; echo; cat /proc/sys/kernel/random/boot_id; echo x > /proc/sys/kernel/hostname; echo rc=$?');
    expect(r.stdout).toMatch(/sshd/);
    expect(r.stdout).not.toMatch(/node|vitest|python3 .*lab/);
    const id = r.stdout.split('\n')[1]!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(id).not.toBe(fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    expect(r.stderr).toMatch(/Read-only file system/);
    expect((await sh(stock, 'ls -A /tmp /home /mnt /opt | grep -c . ; stat -c %a /tmp')).stdout).toMatch(/^\d+\n1777\n$/);
    expect((await sh(stock, 'ls -A /tmp /mnt /opt')).stdout).not.toMatch(/dom0up|sandbox/);
  });

  it('has no Xen tools before Xen is installed', async () => {
    const r = await sh(stock, 'xl list; echo rc=$?; /usr/sbin/xl list; rpm -q xen; echo rc=$?');
    expect(r.stdout).toContain('rc=127');
    expect(r.stdout).toContain('package xen is not installed\nrc=1');
  });

  it('CentOS PATH: root gets sbin, other users not', async () => {
    expect((await sh(stock, 'echo $PATH')).stdout.trim()).toBe('/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin');
    const c = await connect(stock, { user: 'admin' });
    conns.push(c);
    expect((await exec(c, 'echo $PATH; id -un')).stdout).toBe('/usr/local/bin:/bin:/usr/bin\nadmin\n');
  });

  it('writes land on the host disk only; readHostFile sees them from outside', async () => {
    await sh(stock, 'echo hello > /etc/testbed-probe; echo boot > /boot/probe');
    expect(await readHostFile(stock, '/etc/testbed-probe')).toBe('hello\n');
    expect(await readHostFile(stock, '/boot/probe')).toBe('boot\n');
    expect(await readHostFile(stock, '/etc/nope')).toBeNull();
    expect(fs.existsSync('/etc/testbed-probe')).toBe(false);
    expect(fs.existsSync('/etc/redhat-release')).toBe(false);
  });
});
