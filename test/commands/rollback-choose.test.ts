import { describe, expect, it } from 'vitest';
import { chooseBackups, parseBackupList } from '../../src/commands/rollback.js';

const files = ['/boot/grub/grub.conf', '/etc/sysconfig/xen-kernel'];
const out = [
  '/boot/grub/grub.conf.dom0up-20261127T100000Z',
  '/boot/grub/grub.conf.dom0up-20261127T120000Z',
  '/boot/grub/grub.conf.dom0up-20261127T120000Z-1',
  '/etc/sysconfig/xen-kernel.dom0up-20261127T120000Z',
  '/boot/grub/grub.conf.dom0up-garbage',
  '/boot/grub/grub.conf.rpmnew',
].join('\n');

describe('rollback backup selection', () => {
  it('groups a run by its stamp and takes the first backup of each file (before the run touched it)', () => {
    const all = parseBackupList(out, files);
    expect(all).toHaveLength(4);
    const latest = chooseBackups(all);
    expect(latest.map((b) => b.path).sort()).toEqual(['/boot/grub/grub.conf.dom0up-20261127T120000Z', '/etc/sysconfig/xen-kernel.dom0up-20261127T120000Z']);
    expect(chooseBackups(all, '20261127T100000Z').map((b) => b.path)).toEqual(['/boot/grub/grub.conf.dom0up-20261127T100000Z']);
    expect(chooseBackups(all, '/boot/grub/grub.conf.dom0up-20261127T100000Z')).toHaveLength(1);
    expect(() => chooseBackups(all, '20991231T000000Z')).toThrow(/no backup/);
    expect(() => chooseBackups(all, 'yesterday')).toThrow(/not a backup name/);
    expect(chooseBackups([], undefined)).toEqual([]);
  });
});
