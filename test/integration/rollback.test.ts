// rollback: after a verified apply, restore the files from the run's backups and reboot into
// the configuration the host had before.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { bootLog, readHostFile } from '../testbed/index.js';
import { dom0up, XEN_ARGS } from './helpers.js';

describeTestbed('rollback', () => {
  const fleet = useFleet([{ name: 'rb', xen: 'running' }]);
  const h = () => fleet().hosts[0]!;

  it('restores the previous grub.conf and sysconfig, keeps the replaced versions, reboots into it', async () => {
    const grubBefore = await readHostFile(h(), '/boot/grub/grub.conf');
    const sysBefore = await readHostFile(h(), '/etc/sysconfig/xen-kernel');
    const a = await dom0up(fleet(), h(), 'tune', ['--dom0-mem', '2048M', '--yes', '--json']);
    expect(a.exit, a.stderr).toBe(0);
    expect(JSON.parse(a.out).outcome).toBe('verified');
    expect(await readHostFile(h(), '/boot/grub/grub.conf')).not.toBe(grubBefore);

    const list = await dom0up(fleet(), h(), 'rollback', ['--list', '--json']);
    expect(list.exit, list.stderr).toBe(0);
    const backups = JSON.parse(list.out).backups as { file: string; stamp: string }[];
    expect(backups.some((b) => b.file === '/boot/grub/grub.conf')).toBe(true);

    const nonTty = await dom0up(fleet(), h(), 'rollback', []);
    expect(nonTty.exit).toBe(1);
    expect(nonTty.stderr).toMatch(/--yes/);

    const r = await dom0up(fleet(), h(), 'rollback', ['--yes', '--reboot', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.restored.map((x: { file: string }) => x.file)).toEqual(expect.arrayContaining(['/boot/grub/grub.conf', '/etc/sysconfig/xen-kernel']));
    expect(await readHostFile(h(), '/boot/grub/grub.conf')).toBe(grubBefore);
    expect(await readHostFile(h(), '/etc/sysconfig/xen-kernel')).toBe(sysBefore);
    expect(j.reboot.xen).toBe(true);
    expect((await bootLog(h())).at(-1)!.dom0MemMiB).toBe(1024);
  });
});
