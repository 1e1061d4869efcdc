// Fault matrix, part 2: yum fails, /boot fills up under the grub.conf write, and a reboot command
// that never returns an exit status. Every test ends with the host bootable and nothing lost.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { bootLog, clearFault, readHostFile, setFault } from '../testbed/index.js';
import { run } from '../testbed/ssh-helpers.js';
import { parseGrubConf } from '../../src/grub/index.js';
import { dom0up, XEN_ARGS } from './helpers.js';
import { expectBootable, expectNothingLost, expectVerifiedDom0, FAST, GRUB, LOCK, provision, snapshot } from './faults-helpers.js';

const YUM_ERROR = [
  'Loaded plugins: fastestmirror, security',
  'Setting up Install Process',
  'Resolving Dependencies',
  '--> Running transaction check',
  '---> Package xen.x86_64 0:4.10.4-1.el6 will be installed',
  '--> Processing Dependency: libxenlight.so.4.10()(64bit) for package: xen-4.10.4-1.el6.x86_64',
  'Error: Package: xen-4.10.4-1.el6.x86_64 (xen4centos-410)',
  '           Requires: libxenlight.so.4.10()(64bit)',
  ' You could try using --skip-broken to work around the problem',
  ' You could try running: rpm -Va --nofiles --nodigest',
].join('\n');

describeTestbed('faults: install, /boot and the reboot command', () => {
  const fleet = useFleet([{ name: 'yum-fail' }, { name: 'boot-full', xen: 'running' }, { name: 'reboot-hangs' }], FAST);
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

  it('yum fails: no grub.conf change, no reboot; the error carries the tail of yum\'s output; the re-run converges', async () => {
    const h = host('yum-fail');
    const before = await snapshot(h);
    const grub = await readHostFile(h, GRUB);
    const boots = (await bootLog(h)).length;
    await setFault(h, 'yum-fail', { output: YUM_ERROR, exitCode: 1 });
    const r = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes']);
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/: yum: yum install xen failed \(exit 1\); grub\.conf was not changed/);
    // the tail of yum's own output, verbatim
    expect(r.stderr).toContain('Error: Package: xen-4.10.4-1.el6.x86_64 (xen4centos-410)');
    expect(r.stderr).toContain(' You could try running: rpm -Va --nofiles --nodigest');
    expect(r.stderr).toMatch(/hint: .*repositories/);
    expect(await readHostFile(h, GRUB)).toBe(grub);
    expect((await run(h, 'ls -a /boot/grub')).stdout).not.toMatch(/dom0up/);
    expect((await bootLog(h)).length).toBe(boots);
    expect(await readHostFile(h, LOCK)).toBeNull();
    await expectBootable(h);
    await expectNothingLost(h, before);

    await clearFault(h, 'yum-fail');
    const again = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(again.exit, again.stderr).toBe(0);
    expect(JSON.parse(again.out).outcome).toBe('verified');
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
  });

  it('/boot fills up under the grub.conf write: ENOSPC and where; the old file is untouched; the re-run converges', async () => {
    const h = host('boot-full');
    const before = await snapshot(h);
    const grub = await readHostFile(h, GRUB);
    const boots = (await bootLog(h)).length;
    const req = { dom0Mem: '2048M', dom0Vcpus: '2', pin: true };
    // the plan sees a /boot with room; it fills up just before the write
    const r = await provision(fleet(), h, { req, hooks: { phase: (id) => void (id === 'grub' && setFault(h, 'boot-full')) } });
    expect(r.error?.message).toMatch(/: grub\.conf write: ENOSPC: no space left on the file system of \/boot\/grub while writing \/boot\/grub\/grub\.conf; the old file is untouched/);
    expect(r.error?.hint).toMatch(/free space in \/boot\/grub/);
    expect(r.ev.phases).not.toContain('one-shot');
    expect(r.ev.phases).not.toContain('reboot');
    // byte for byte the old file; no temp file or half-written copy left beside it
    expect(await readHostFile(h, GRUB)).toBe(grub);
    const ls = (await run(h, 'ls -a /boot/grub')).stdout.split('\n');
    expect(ls.filter((n) => n.startsWith('.grub.conf'))).toEqual([]);
    expect((await bootLog(h)).length).toBe(boots);
    expect(await readHostFile(h, LOCK)).toBeNull();
    await clearFault(h, 'boot-full');
    await expectBootable(h);
    await expectNothingLost(h, before);

    const again = await provision(fleet(), h, { req });
    expect(again.error?.message ?? null).toBeNull();
    expect(again.report!.outcome).toBe('verified');
    const last = await expectBootable(h);
    expect(last.hypervisor).toBe('xen');
    expect(last.xenCmdline).toMatch(/^dom0_mem=2048M,max:2048M .*dom0_max_vcpus=2 dom0_vcpus_pin$/);
    const g = parseGrubConf((await readHostFile(h, GRUB))!);
    expect(g.bootEntry!.kind).toBe('xen');
    // the report names the backups it made, and they are on the host
    expect(again.report!.backups.length).toBeGreaterThan(0);
    for (const b of again.report!.backups) expect(await readHostFile(h, b)).not.toBeNull();
    expect(await readHostFile(h, again.report!.backups.find((b) => b.startsWith(GRUB))!)).toBe(grub);
    await expectNothingLost(h, before);
  });

  it('the reboot command never returns an exit status: taken as "reboot started"; the new boot_id decides', async () => {
    const h = host('reboot-hangs');
    const before = await snapshot(h);
    await setFault(h, 'reboot-hangs');
    const r = await provision(fleet(), h);
    await clearFault(h, 'reboot-hangs');
    expect(r.error?.message ?? null).toBeNull();
    expect(r.report!.outcome).toBe('verified');
    const rb = r.report!.reboot!;
    expect(rb.newBootId).not.toBe(rb.oldBootId);
    const boots = await bootLog(h);
    expect(boots.at(-1)!.bootId).toBe(rb.newBootId);
    expect(boots.map((b) => b.bootId)).toContain(rb.oldBootId);
    // the command reached the host the first time: it was not sent again
    expect(r.ev.notes.some((n) => /sending it again/.test(n))).toBe(false);
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
  });
});
