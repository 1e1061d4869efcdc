// Each fact's parser against output captured from a CentOS 6.10 host (and the edge cases a
// real host shows: missing files, packages not installed, no /boot partition).
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bootFact, configFilesFact, existingDirsCommand, grubConfigFact, hypervisorFact, kernelFact, managedFilesCommand, osReleaseFact, packagesFact, parseManagedFiles, resourcesFact, stateFact } from '../../src/facts/index.js';
import { buildGatherScript, splitGatherOutput } from '../../src/facts/gather.js';
import { LocalTransport } from '../../src/transport/index.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const out = (stdout: string, rc = 0) => ({ stdout, rc });

describe('fact parsers', () => {
  it('os release', () => {
    expect(osReleaseFact.parse(out('CentOS release 6.10 (Final)\n'))).toEqual({ text: 'CentOS release 6.10 (Final)', distro: 'centos', major: 6, minor: 10 });
    expect(osReleaseFact.parse(out('Red Hat Enterprise Linux Server release 6.9 (Santiago)\n'))).toMatchObject({ distro: 'rhel', major: 6, minor: 9 });
    expect(osReleaseFact.parse(out('CentOS Linux release 7.9.2009 (Core)\n'))).toMatchObject({ distro: 'centos', major: 7 });
    expect(osReleaseFact.parse(out('', 1))).toEqual({ text: null, distro: null, major: null, minor: null });
  });
  it('kernel', () => {
    expect(kernelFact.parse(out('release=2.6.32-754.el6.x86_64\narch=x86_64\nboot_id=0c3e1c7e-6f1b-4e3a-9a59-6b1f4c2f2d11\ncmdline=ro root=/dev/mapper/VolGroup-lv_root rhgb quiet\n'))).toEqual({
      release: '2.6.32-754.el6.x86_64', arch: 'x86_64', bootId: '0c3e1c7e-6f1b-4e3a-9a59-6b1f4c2f2d11', cmdline: 'ro root=/dev/mapper/VolGroup-lv_root rhgb quiet',
    });
  });
  it('hypervisor', () => {
    expect(hypervisorFact.parse(out('caps=control_d\ntype=xen\nfirmware=bios\n'))).toEqual({ capabilities: 'control_d', type: 'xen', dom0: true, firmware: 'bios' });
    expect(hypervisorFact.parse(out('firmware=uefi\n'))).toEqual({ capabilities: null, type: null, dom0: false, firmware: 'uefi' });
    expect(hypervisorFact.parse(out('caps=\ntype=xen\nfirmware=bios\n')).dom0).toBe(false); // a domU
  });
  it('grub config: the symlink chain, stat, content', () => {
    const text = 'default=0\ntitle A\n\tkernel /vmlinuz-2.6.32 ro\n';
    const f = grubConfigFact.parse(out(`link=/etc/grub.conf -> ../boot/grub/grub.conf\netc=/boot/grub/grub.conf\nreal=/boot/grub/grub.conf\nstat=600 0 0 ${text.length} 1\ncontext=system_u:object_r:boot_t:s0\ncontent=${b64(text)}\n`));
    expect(f).toMatchObject({ realPath: '/boot/grub/grub.conf', links: ['/etc/grub.conf -> ../boot/grub/grub.conf'], etcTarget: '/boot/grub/grub.conf', text, encoding: 'utf8' });
    expect(f.stat).toEqual({ mode: 0o600, uid: 0, gid: 0, size: text.length, links: 1, context: 'system_u:object_r:boot_t:s0' });
    const latin = grubConfigFact.parse(out(`real=/boot/grub/grub.conf\nstat=644 0 0 3 1\ncontext=?\ncontent=${Buffer.from([0x23, 0xe9, 0x0a]).toString('base64')}\n`));
    expect(latin.encoding).toBe('latin1');
    expect(latin.stat!.context).toBeNull();
    expect(grubConfigFact.parse(out(''))).toMatchObject({ realPath: null, text: null, stat: null });
  });
  it('/boot: partition, free space, kernels with initramfs, xen.gz, stage2 word', () => {
    const f = bootFact.parse(out(['dev_root=64768', 'dev_boot=2049', 'df=487652 401202', 'file=config-2.6.32-754.el6.x86_64', 'file=grub', 'file=initramfs-2.6.32-754.el6.x86_64.img', 'file=vmlinuz-2.6.32-754.el6.x86_64', 'file=vmlinuz-4.9.241-37.el6.x86_64', 'file=xen.gz', 'xen_link=xen-4.10.4.134.g6ea37c69c7-2.el6.gz', 'stage2=65536', ''].join('\n')));
    expect(f).toMatchObject({ separate: true, sizeKiB: 487652, freeKiB: 401202, kernels: ['2.6.32-754.el6.x86_64', '4.9.241-37.el6.x86_64'], initramfs: ['2.6.32-754.el6.x86_64'], xenLink: 'xen-4.10.4.134.g6ea37c69c7-2.el6.gz', stage2Saved: 65536 });
    expect(bootFact.parse(out('dev_root=64768\ndev_boot=64768\n')).separate).toBe(false);
  });
  it('packages: rpm -q with some not installed and two kernels', () => {
    const f = packagesFact.parse(out('xen 4.10.4.134.g6ea37c69c7-2.el6.x86_64\npackage xen-hypervisor is not installed\nkernel 2.6.32-754.el6.x86_64\nkernel 4.9.241-37.el6.x86_64\npackage centos-release-xen is not installed\n', 1));
    expect(f.installed).toEqual({ xen: ['4.10.4.134.g6ea37c69c7-2.el6.x86_64'], kernel: ['2.6.32-754.el6.x86_64', '4.9.241-37.el6.x86_64'] });
  });
  it('memory and CPUs', () => {
    expect(resourcesFact.parse(out('mem_kb=4046492\ncpus=4\nhvm=vmx\n'))).toEqual({ memTotalMiB: 3951, cpus: 4, hvm: 'vmx' });
    expect(resourcesFact.parse(out('mem_kb=1048576\ncpus=2\nhvm=\n')).hvm).toBeNull();
  });
  it('config files: each file exactly (real path behind a link, mode, sha256, bytes), the helper, the directories', () => {
    const block = (path: string, text: string, extra = '') => `file=${path}\nreal=${path}\n${extra}stat=644 0 0 ${Buffer.byteLength(text)}\nctx=?\nsha=${createHash('sha256').update(text).digest('hex')}\ndata=${b64(text)}\nend=1\n`;
    const f = configFilesFact.parse(out(block('/etc/yum.repos.d/CentOS-Base.repo', '[base]\nbaseurl=x\n') + block('/etc/yum.repos.d/my repo.repo', '[m]\n') + block('/etc/sysconfig/xen-kernel', 'XEN_KERNEL_ARGS="dom0_mem=1024M"\n') + 'dir=/etc\ndir=/etc/sysconfig\nhelper=1\n'));
    expect(f.repos).toEqual([{ path: '/etc/yum.repos.d/CentOS-Base.repo', text: '[base]\nbaseurl=x\n' }, { path: '/etc/yum.repos.d/my repo.repo', text: '[m]\n' }]);
    expect(f).toMatchObject({ xenKernelSysconfig: 'XEN_KERNEL_ARGS="dom0_mem=1024M"\n', kernelSysconfig: null, xlConf: null, gpgKey: null, xenHelper: true, dirs: ['/etc', '/etc/sysconfig'] });
    expect(f.managed['/etc/sysconfig/xen-kernel']).toMatchObject({ realPath: '/etc/sysconfig/xen-kernel', isLink: false, regular: true, mode: 0o644, encoding: 'utf8', truncated: false });
  });
  it('managed files over a real shell: a symlink leads to its real file, latin1 bytes stay exact, absent files print nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dom0up-mf-'));
    try {
      writeFileSync(path.join(dir, 'real.conf'), Buffer.from([0x61, 0x3d, 0xe9, 0x0a]));
      symlinkSync('real.conf', path.join(dir, 'link.conf'));
      chmodSync(path.join(dir, 'real.conf'), 0o640);
      const r = await new LocalTransport({ target: 'local' }).exec(managedFilesCommand([path.join(dir, 'link.conf'), path.join(dir, 'absent.conf')]) + '\n' + existingDirsCommand([dir, path.join(dir, 'nope')]));
      const { files, dirs } = parseManagedFiles(r.stdout.toString('utf8'));
      expect([...files.keys()]).toEqual([path.join(dir, 'link.conf')]);
      const m = files.get(path.join(dir, 'link.conf'))!;
      expect(m).toMatchObject({ realPath: path.join(dir, 'real.conf'), isLink: true, regular: true, mode: 0o640, encoding: 'latin1', text: 'a=\u00e9\n' });
      expect(m.sha256).toBe(createHash('sha256').update(Buffer.from([0x61, 0x3d, 0xe9, 0x0a])).digest('hex'));
      expect(dirs).toEqual([dir]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('state: the lock (owner, reboot lease), the runs, the origin, the last run\'s steps', () => {
    const lock = { runId: '20261127T100000Z-aaaaaa', controller: 'op@ctl', pid: 42, startedAt: '2026-11-27T10:00:00Z', command: 'dom0up apply h' };
    const file = `dom0up-lock 1\nrun=${lock.runId}\nrebootUntil=1900000000\nowner=${JSON.stringify(lock)}\n`;
    const f = stateFact.parse(out(`lock=${b64(file)}\nlock_age=75\nrun=20261127T100000Z-aaaaaa\nrun=not-a-run\nrun=20261128T100000Z-bbbbbb\norigin=runs/20261127T100000Z-aaaaaa\nsteps=${b64('{"step":"yum","status":"done"}\n')}\n`));
    expect(f.lock).toEqual({ ...lock, rebootUntil: 1900000000 });
    expect(f.lockAgeS).toBe(75);
    expect(f.runs).toEqual(['20261127T100000Z-aaaaaa', '20261128T100000Z-bbbbbb']);
    expect(f.origin).toBe('20261127T100000Z-aaaaaa');
    expect(f.lastRunSteps).toContain('"step":"yum"');
    expect(stateFact.parse(out(`lock=${b64('garbage')}\nlock_age=5\n`))).toMatchObject({ lock: null, lockRaw: 'garbage' });
  });
});

describe('gathering', () => {
  it('runs every fact in one script and splits the output by its markers', async () => {
    const nonce = 'abc123';
    const facts = [osReleaseFact, kernelFact, resourcesFact];
    const r = await new LocalTransport({ target: 'local' }).exec(buildGatherScript(facts, nonce));
    const parts = splitGatherOutput(r.stdout.toString(), facts.map((f) => f.name), nonce);
    expect([...parts.keys()].sort()).toEqual(['kernel', 'os_release', 'resources']);
    expect(kernelFact.parse(parts.get('kernel')!).bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(resourcesFact.parse(parts.get('resources')!).cpus).toBeGreaterThan(0);
    // markers of another run (another nonce) are not sections
    expect(splitGatherOutput(r.stdout.toString(), facts.map((f) => f.name), 'other').size).toBe(0);
  });
});
