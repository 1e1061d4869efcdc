// Every preflight refusal: apply refuses before any change, with one line naming the host and
// the phase, and a hint; the host is left exactly as it was.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { readHostFile, type TestHost } from '../testbed/index.js';
import { dom0up } from './helpers.js';

// entry 1 carries a menu command (Error 27 if it were booted); entry 0 boots fine
const LINT_ERROR_GRUB = `default=0
timeout=5
title CentOS 6 (2.6.32-754.el6.x86_64)
\troot (hd0,0)
\tkernel /vmlinuz-2.6.32-754.el6.x86_64 ro root=/dev/mapper/VolGroup-lv_root
\tinitrd /initramfs-2.6.32-754.el6.x86_64.img
title CentOS 6 (2.6.32-754.el6.x86_64) debug
\troot (hd0,0)
\tkernel /vmlinuz-2.6.32-754.el6.x86_64 ro root=/dev/mapper/VolGroup-lv_root debug
\tinitrd /initramfs-2.6.32-754.el6.x86_64.img
timeout=3
`;

describeTestbed('preflight refusals', () => {
  const fleet = useFleet([
    { name: 'c5', release: 'CentOS release 5.11 (Final)' },
    { name: 'c7', release: 'CentOS Linux release 7.9.2009 (Core)' },
    { name: 'i686', arch: 'i686' },
    { name: 'uefi', uefi: true },
    { name: 'smallmem', memMiB: 2048 },
    { name: 'onecpu', cpus: 1 },
    { name: 'tinyboot', bootSizeMiB: 40 },
    { name: 'linterr', grubConf: LINT_ERROR_GRUB },
  ]);
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

  async function refused(h: TestHost, args: string[], message: RegExp, hint?: RegExp) {
    const grub = await readHostFile(h, '/boot/grub/grub.conf');
    const plan = await dom0up(fleet(), h, 'plan', args);
    expect(plan.exit).toBe(1);
    expect(plan.out).toMatch(/refused: /);
    const r = await dom0up(fleet(), h, 'apply', [...args, '--yes']);
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^dom0up: error: root@${h.host.replace(/\./g, '\\.')}:${h.port}: preflight: ${message.source}`, 'm'));
    if (hint) expect(r.stderr).toMatch(new RegExp(`^hint: .*${hint.source}`, 'm'));
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await readHostFile(h, '/boot/grub/grub.conf')).toBe(grub);
    expect(await readHostFile(h, '/etc/yum.repos.d/xen4centos-410.repo')).toBeNull();
  }

  it('not CentOS 6', async () => {
    await refused(host('c5'), [], /not CentOS 6\.x: CentOS release 5\.11/);
    await refused(host('c7'), [], /not CentOS 6\.x: CentOS Linux release 7/);
  });
  it('not x86_64', () => refused(host('i686'), [], /the host is i686, not x86_64/));
  it('UEFI boot', () => refused(host('uefi'), [], /the host boots with UEFI/, /BIOS/));
  it('dom0_mem larger than the host', () => refused(host('smallmem'), ['--dom0-mem', '4096M'], /dom0_mem=4096M,max:4096M is more than the host's memory/));
  it('more dom0 vcpus than CPUs', () => refused(host('onecpu'), ['--dom0-vcpus', '2'], /dom0_max_vcpus=2 is more than the host's 1 CPU/));
  it('too little space in /boot', () => refused(host('tinyboot'), [], /\/boot has \d+ MiB free/, /oldkernels/));
  it('grub.conf with lint errors', () => refused(host('linterr'), [], /.*Error 27/, /grub lint/));
});
