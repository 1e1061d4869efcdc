// Fault matrix, part 5: the way back. Rollback after a run that failed after its first change
// (yum failed after the kernel went in), and after many runs (the first run's pre-run state is never
// pruned). The judges: the host's files (read from outside) and the test bed's GRUB reader.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { addFaultPoint, readHostFile } from '../testbed/index.js';
import { dom0up } from './helpers.js';
import { expectBootsStock, expectNextBoot, FAST, provision, SIG } from './faults-helpers.js';

const FILES = ['/boot/grub/grub.conf', '/etc/sysconfig/kernel', '/etc/sysconfig/xen-kernel', '/etc/xen/xl.conf', '/etc/yum.repos.d/xen4centos-410.repo', '/etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization'];
const files = async (h: Parameters<typeof readHostFile>[0]) => Object.fromEntries(await Promise.all(FILES.map(async (f) => [f, await readHostFile(h, f)] as const)));

describeTestbed('faults: the way back', () => {
  const fleet = useFleet([{ name: 'rb-failed' }, { name: 'rb-many', xen: 'running' }], FAST);
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

  it('after a run that failed once yum had installed the kernel: every file as before it (the .repo, the key, the sysconfig files), the stock kernel boots', async () => {
    const h = host('rb-failed');
    const before = await files(h);
    await addFaultPoint(h, { at: 'yum', match: 'kernel', when: 'after', action: 'fail', exitCode: 1 });
    const r = await provision(fleet(), h);
    expect(r.error?.message).toMatch(/yum install xen failed/);
    expect(await files(h)).not.toEqual(before);
    const rb = await dom0up(fleet(), h, 'rollback', ['--yes', '--json']);
    expect(rb.exit, rb.stderr).toBe(0);
    const j = JSON.parse(rb.out);
    expect(j.run).toBe(r.runId);
    // grub.conf is back too: new-kernel-pkg's entry for the kernel goes (the package stays installed)
    expect(await files(h)).toEqual(before);
    await expectBootsStock(h);
  });

  it('after twelve runs: the first run\'s pre-run state is still there; rolling back to it restores the files of before the first run', async () => {
    const h = host('rb-many');
    const before = await files(h);
    const mems = ['1536M', '2048M'];
    for (let i = 0; i < 12; i++) {
      const t = await dom0up(fleet(), h, 'tune', ['--dom0-mem', mems[i % 2]!, '--no-reboot', '--yes', '--json']);
      expect(t.exit, t.stderr).toBe(0);
    }
    const list = JSON.parse((await dom0up(fleet(), h, 'rollback', ['--list', '--json'])).out).runs as { run: string; origin: boolean; changed: boolean }[];
    expect(list.filter((r) => r.changed)).toHaveLength(12);
    const origin = list.find((r) => r.origin)!;
    expect(origin.run).toBe(list[0]!.run);
    const rb = await dom0up(fleet(), h, 'rollback', ['--run', origin.run, '--yes', '--json']);
    expect(rb.exit, rb.stderr).toBe(0);
    expect(await files(h)).toEqual(before);
    await expectNextBoot(h, { kernel: SIG, xen: true });
  });
});
