// The yum/rpm stand-ins: repositories after CentOS 6's EOL, GPG checks, what `yum install xen` lays
// down, and how the kernel scriptlets (new-kernel-pkg, grub-bootxen.sh) edit grub.conf.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootLog, nextBoot, readHostFile, readHostFileBuffer, setFault, clearFault, startHosts, type Fleet, type TestHost } from './index.js';
import { connect, exec, rebootVia, reconnect, sftpWrite } from './ssh-helpers.js';
import { describeTestbed } from './vitest.js';

const X = '4.9.241-37.el6.x86_64';
const XEN = '4.10.4.134.g6ea37c69c7-2.el6';
const VAULT = 'http://vault.centos.org/6.10/virt/x86_64/xen-410/';
const repo = (baseurl: string, extra = 'gpgcheck=0') => `[xen4centos]\nname=Xen 4.10 for CentOS 6\nbaseurl=${baseurl}\nenabled=1\n${extra}\n`;

describeTestbed('yum and rpm on the simulated hosts', () => {
  let fleet: Fleet;
  let fresh: TestHost, gpg: TestHost, helper: TestHost, tiny: TestHost, seed: TestHost, dracut: TestHost;
  const conns: Client[] = [];
  const open = async (h: TestHost) => {
    const c = await connect(h);
    conns.push(c);
    return c;
  };
  beforeAll(async () => {
    fleet = await startHosts(
      [{ name: 'y-fresh' }, { name: 'y-gpg' }, { name: 'y-helper', xenHelper: true }, { name: 'y-tiny', bootSizeMiB: 40 }, { name: 'y-seed', layout: 'seed-lvm' }, { name: 'y-dracut' }],
      { downtimeMs: 100, rebootDelayMs: 100, xencommonsDelayMs: 0, yumLineDelayMs: 2 },
    );
    [fresh, gpg, helper, tiny, seed, dracut] = fleet.hosts as [TestHost, TestHost, TestHost, TestHost, TestHost, TestHost];
  });
  afterAll(async () => {
    conns.forEach((c) => c.end());
    await fleet?.stop();
  });

  it('no Xen repository: "No package xen available."', async () => {
    const c = await open(fresh);
    const r = await exec(c, 'yum -y install xen');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('No package xen available.');
    expect(r.stdout + r.stderr).toContain('Error: Nothing to do');
  });

  it('the EOL mirror fails, so does $releasever (6) on the vault', async () => {
    const c = await open(fresh);
    await sftpWrite(c, '/etc/yum.repos.d/xen.repo', repo('http://mirror.centos.org/centos/6/virt/x86_64/xen-410/'));
    const r = await exec(c, 'yum -y install xen');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cannot find a valid baseurl for repo: xen4centos');
    await sftpWrite(c, '/etc/yum.repos.d/xen.repo', repo('http://vault.centos.org/$releasever/virt/$basearch/xen-410/'));
    const r2 = await exec(c, 'yum -y install xen');
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('http://vault.centos.org/6/virt/x86_64/xen-410/repodata/repomd.xml: [Errno 14] PYCURL ERROR 22');
  });

  it('not root, or no -y on a closed stdin: refused', async () => {
    const c = await connect(fresh, { user: 'admin' });
    conns.push(c);
    expect((await exec(c, 'yum -y install xen')).stderr).toBe('You need to be root to perform this command.\n');
    const r = await exec(await open(fresh), `echo '${repo(VAULT)}' > /etc/yum.repos.d/xen.repo; yum install xen < /dev/null`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Is this ok [y/N]: Exiting on user Command');
  });

  it('a vault baseurl works: output streams like yum, xen4centos files land in /boot, new-kernel-pkg adds a plain default entry', async () => {
    const c = await open(fresh);
    await sftpWrite(c, '/etc/yum.repos.d/xen.repo', repo(VAULT));
    const chunks: number[] = [];
    const t0 = Date.now();
    const r = await exec(c, 'yum -y install xen', { onStdout: () => chunks.push(Date.now() - t0) });
    expect(r.code).toBe(0);
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks[chunks.length - 1]! - chunks[0]!).toBeGreaterThan(50);
    for (const s of ['Resolving Dependencies', `---> Package xen.x86_64 0:${XEN} will be installed`, 'Dependencies Resolved', 'Installed:', `  xen.x86_64 0:${XEN}`, 'Dependency Installed:', 'Dependency Updated:', 'Complete!'])
      expect(r.stdout).toContain(s);
    const f = await exec(
      c,
      `cd /boot && ls xen* vmlinuz-${X} initramfs-${X}.img System.map-${X} config-${X} && readlink xen.gz && cat /etc/sysconfig/xen-kernel && ls /etc/xen/xl.conf /usr/sbin/xl && rpm -q xen xen-hypervisor xen-runtime xen-libs xen-licenses kernel-${X.replace('.x86_64', '')} && rpm -q --qf '%{NAME} %{VERSION} %{RELEASE} %{ARCH}\\n' kernel`,
    );
    expect(f.code).toBe(0);
    expect(f.stdout).toContain(`xen-${XEN}.config\nxen-${XEN}.gz\nxen.gz`);
    expect(f.stdout).toContain(`\nxen-${XEN}.gz\n`); // the relative symlink target
    expect(f.stdout).toContain('XEN_KERNEL_ARGS="dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all"');
    expect(f.stdout).toContain('kernel 2.6.32 754.el6 x86_64\nkernel 4.9.241 37.el6 x86_64\n');
    const conf = (await readHostFile(fresh, '/boot/grub/grub.conf'))!;
    const titles = conf.split('\n').filter((l) => l.startsWith('title'));
    expect(titles).toEqual([`title CentOS (${X})`, 'title CentOS 6 (2.6.32-754.el6.x86_64)']);
    expect(conf).toMatch(/^default=0$/m);
    expect(conf).not.toContain('xen.gz');
    expect(conf).toContain(`\tkernel /vmlinuz-${X} ro root=/dev/mapper/VolGroup-lv_root`);
    expect(conf).toContain(`\tinitrd /initramfs-${X}.img`);
    expect((await exec(c, 'ls -l /etc/grub.conf; stat -c %a /boot/grub/grub.conf')).stdout).toMatch(/-> \.\.\/boot\/grub\/grub\.conf\n600\n$/);
    // installed already
    const again = await exec(c, 'yum -y install xen');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Package xen-${XEN}.x86_64 already installed and latest version\nNothing to do`);
  });

  it('rebooting after that boots the plain 4.9 kernel: no Xen', async () => {
    await rebootVia(await open(fresh), 'reboot');
    const c = await reconnect(fresh);
    conns.push(c);
    expect((await exec(c, 'uname -r')).stdout).toBe(`${X}\n`);
    expect((await exec(c, 'xl list')).stderr).toContain('cannot init xl context');
    expect((await bootLog(fresh)).pop()).toMatchObject({ hypervisor: 'none', kernelRelease: X, title: `CentOS (${X})` });
  });

  it('gpgcheck=1: a missing key file fails, a wrong key is rejected, the SIG key is imported', async () => {
    const c = await open(gpg);
    const key = 'gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization';
    await sftpWrite(c, '/etc/yum.repos.d/xen.repo', repo(`https://mirrors.tuna.tsinghua.edu.cn/centos/6.10/virt/$basearch/xen-410/`, `gpgcheck=1\n${key}`));
    const r = await exec(c, 'yum -y install xen');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('warning: rpmts_HdrFromFdno: Header V4 RSA/SHA1 Signature, key ID 61e8806c: NOKEY');
    expect(r.stderr).toContain('GPG key retrieval failed: [Errno 14] Could not open/read file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization');
    // some other real OpenPGP key: identified by its fingerprint, and refused
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-gpg-'));
    try {
      execFileSync('gpg', ['--homedir', home, '--batch', '--passphrase', '', '--quick-gen-key', 'Not The SIG <x@example.com>', 'rsa2048', 'sign', 'never'], { stdio: 'ignore' });
      const armored = execFileSync('gpg', ['--homedir', home, '--armor', '--export'], { encoding: 'utf8' });
      await sftpWrite(c, '/etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization', armored);
      const wrong = await exec(c, 'yum -y install xen');
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('are already installed but they are not correct for this package');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
    // the key as centos-release-virt-common (from extras) installs it
    const ok = await exec(c, 'rm /etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization && yum -y install centos-release-virt-common && yum -y install xen');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Importing GPG key 0x61E8806C:');
    expect((await exec(c, 'rpm -q gpg-pubkey')).stdout).toContain('gpg-pubkey-61e8806c-');
  });

  it('with centos-release-xen: its EOL repos break yum until disabled; then grub-bootxen.sh makes a Xen entry the default', async () => {
    const c = await open(helper);
    const broken = await exec(c, 'yum -y install xen');
    expect(broken.code).toBe(1);
    await sftpWrite(c, '/etc/yum.repos.d/xen.repo', repo(VAULT, 'gpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization'));
    const r = await exec(c, "sed -i 's/^enabled=1/enabled=0/' /etc/yum.repos.d/CentOS-Xen.repo /etc/yum.repos.d/CentOS-Xen-dependencies.repo && yum -y install xen");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Installing xen.gz stanza for kver ${X}`);
    const conf = (await readHostFile(helper, '/etc/grub.conf'))!;
    expect(conf.split('\n').filter((l) => l.startsWith('title'))).toEqual([`title CentOS (${X})`, 'title CentOS 6 (2.6.32-754.el6.x86_64)']);
    expect(conf).toMatch(/^default=0$/m);
    const entry = conf.slice(conf.indexOf(`title CentOS (${X})`), conf.indexOf('title CentOS 6'));
    expect(entry).toBe(
      `title CentOS (${X})\n\troot (hd0,0)\n\tkernel /xen.gz dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all\n` +
        `\tmodule /vmlinuz-${X} ro root=/dev/mapper/VolGroup-lv_root rd_NO_LUKS LANG=en_US.UTF-8 rd_NO_MD rd_LVM_LV=VolGroup/lv_swap SYSFONT=latarcyrheb-sun16 crashkernel=auto rd_LVM_LV=VolGroup/lv_root KEYBOARDTYPE=pc KEYTABLE=us rd_NO_DM rhgb quiet\n` +
        `\tmodule /initramfs-${X}.img\n`,
    );
    expect((await exec(c, 'grubby --default-kernel')).stdout).toBe('/boot/xen.gz\n');
  });

  it('the next boot is Xen; a kernel update rebuilds the Xen entry from /etc/sysconfig/xen-kernel', async () => {
    await rebootVia(await open(helper), 'reboot');
    let c = await reconnect(helper);
    conns.push(c);
    expect((await exec(c, 'xl info xen_commandline')).stdout).toBe('dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all\n');
    await setFault(helper, 'kernel-update', '4.9.241-38.el6');
    expect((await exec(c, 'yum check-update kernel; echo rc=$?')).stdout).toContain('rc=100');
    const r = await exec(c, `sed -i 's/^XEN_KERNEL_ARGS=.*/XEN_KERNEL_ARGS="dom0_mem=2048M,max:2048M dom0_max_vcpus=2 dom0_vcpus_pin"/' /etc/sysconfig/xen-kernel && yum -y update kernel`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Installed:\n  kernel.x86_64 0:4.9.241-38.el6');
    const conf = (await readHostFile(helper, '/etc/grub.conf'))!;
    expect(conf.split('\n').filter((l) => l.startsWith('title'))).toEqual(['title CentOS (4.9.241-38.el6.x86_64)', `title CentOS (${X})`, 'title CentOS 6 (2.6.32-754.el6.x86_64)']);
    expect(conf).toContain('\tkernel /xen.gz dom0_mem=2048M,max:2048M dom0_max_vcpus=2 dom0_vcpus_pin\n\tmodule /vmlinuz-4.9.241-38.el6.x86_64 ');
    expect(conf).toMatch(/^default=0$/m);
    expect((await exec(c, 'yum -y update kernel')).stdout).toContain('No Packages marked for Update');
    await clearFault(helper, 'kernel-update');
    await rebootVia(c, 'reboot');
    c = await reconnect(helper);
    conns.push(c);
    expect((await exec(c, 'uname -r; xl list | tail -1')).stdout).toMatch(/^4\.9\.241-38\.el6\.x86_64\nDomain-0 +0 +2048 +2 /);
  });

  it('a /boot too small for the install: rpm\'s disk space check', async () => {
    const c = await open(tiny);
    const r = await exec(c, `echo '${repo(VAULT)}' > /etc/yum.repos.d/xen.repo; df -m /boot | tail -1; yum -y install xen`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Transaction Check Error:');
    expect(r.stderr).toMatch(/installing package kernel-4\.9\.241-37\.el6\.x86_64 needs \d+MB on the \/boot filesystem/);
    expect(r.stderr).toContain('At least');
    expect((await exec(c, 'rpm -q xen')).code).toBe(1);
  });

  it('rpm: -q with --queryformat, -qa, -qf, --import', async () => {
    const c = await open(tiny);
    const r = await exec(c, "rpm -q --queryformat '%{NAME}|%{VERSION}|%{RELEASE}|%{ARCH}\\n' kernel grub; rpm -qa | wc -l; rpm -qf /boot/vmlinuz-2.6.32-754.el6.x86_64; rpm -q nosuch other; echo rc=$?");
    expect(r.stdout).toBe('kernel|2.6.32|754.el6|x86_64\ngrub|0.97|99.el6|x86_64\n25\nkernel-2.6.32-754.el6.x86_64\npackage nosuch is not installed\npackage other is not installed\nrc=2\n');
    await sftpWrite(c, '/tmp/junk.key', 'not a key\n');
    const bad = await exec(c, 'rpm --import /tmp/junk.key');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: /tmp/junk.key: import read failed(-1).\n');
    const ok = await exec(c, 'yum -y -q install centos-release-virt-common && rpm --import /etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization && rpm -q gpg-pubkey');
    expect(ok.stdout).toContain('gpg-pubkey-61e8806c-5314ab8e');
  });

  it('yum-fail: yum prints the given output and exits with the given code', async () => {
    await setFault(tiny, 'yum-fail', { output: 'Error: simulated failure\nsecond line', exitCode: 3 });
    const c = await open(tiny);
    const r = await exec(c, 'yum -y install anything');
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('Error: simulated failure\nsecond line\n');
    await clearFault(tiny, 'yum-fail');
  });

  it('initramfs-broken: dracut leaves a damaged image for the matching kernel only; booting it panics', async () => {
    await setFault(dracut, 'initramfs-broken', '4.9.*');
    const c = await open(dracut);
    const r = await exec(c, `echo '${repo(VAULT)}' > /etc/yum.repos.d/xen.repo; yum -y install xen`);
    expect(r.code, r.stderr).toBe(0);
    const head = (p: string) => readHostFileBuffer(dracut, p).then((b) => b!.subarray(0, 200).toString('latin1').split('\n')[0]);
    expect(await head(`/boot/initramfs-${X}.img`)).toBe(`TESTBED:data:damaged-initramfs:${X}`);
    expect(await head('/boot/initramfs-2.6.32-754.el6.x86_64.img')).toBe('TESTBED:initramfs:2.6.32-754.el6.x86_64');
    // new-kernel-pkg made the 4.9 entry the default: the firmware's next boot of it panics (no /init, no root fs)
    const nb = await nextBoot(dracut);
    expect(nb).toMatchObject({ kernelRelease: X, xen: false, result: 'panic' });
    expect(nb.error).toMatch(/is not an initramfs image/);
    await clearFault(dracut, 'initramfs-broken');
  });

  it('the seed-notes layout: new-kernel-pkg copies the continuation lines, the new kernel boots', async () => {
    const c = await open(seed);
    const r = await exec(c, `echo '${repo('https://mirrors.tuna.tsinghua.edu.cn/centos/6.10/virt/x86_64/xen-410/')}' > /etc/yum.repos.d/xen4.repo; yum -y install xen`);
    expect(r.code).toBe(0);
    const conf = (await readHostFile(seed, '/etc/grub.conf'))!;
    expect(conf).toContain(`title CentOS (${X})\nroot (hd0,0)\nkernel /vmlinuz-${X} ro root=/dev/mapper/vg_c610-lv_root rd_NO_LUKS KEYBOARDTYPE=pc KEYTABLE=us LANG=\\\nen_US.UTF-8`);
    await rebootVia(c, 'reboot');
    const c2 = await reconnect(seed);
    conns.push(c2);
    expect((await exec(c2, 'uname -r; cat /proc/cmdline')).stdout).toBe(
      `${X}\nro root=/dev/mapper/vg_c610-lv_root rd_NO_LUKS KEYBOARDTYPE=pc KEYTABLE=us LANG= en_US.UTF-8 rd_NO_MD rd_LVM_LV=vg_c610/lv_swap SYSFONT=latarcyrheb-sun16 crashkernel=auto rd_LVM_LV=vg_c610/lv_root rd_NO_DM rh gb quiet\n`,
    );
  });
});
